"""Last call: between discussion and vote, when the framework's rule asks for one (last_call_days),
members of the responsible group may raise blocking concerns; the author or a steward answers each in
writing; the vote opens at the end of the last call (or earlier, by a steward) only once every
concern has its answer. Concerns and answers stay on the proposal and in its decision's record."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from proposals.audit import record
from proposals.delphi import holding_process
from proposals.notifications import about, emit
from proposals.reading import ProposalView, get_proposal
from proposals.roles import Actor, Role
from proposals.rules import get_rule
from proposals.services import STATUS_NAMES, clean_text, moment, positive_id, proposal_row, signed_in
from proposals.tables import Concern, Proposal
from proposals.topics import PROPOSALS, proposal_topic
from proposals.voting import check_may_start, start_vote, unanswered_concerns, voters_required
from web.changes import announce
from web.database import lock_row
from web.failures import Conflict, Forbidden, NotFound
from web.markdown import render_markdown_off_loop
from web.messages import Term

log = logging.getLogger(__name__)

CONCERN_MAX = 5_000


@dataclass(frozen=True)
class ConcernView:
    id: int
    proposal_id: int
    author: str  # display name
    body: str
    body_html: str
    created_at: datetime
    answer: str | None
    answer_html: str | None
    answered_by: str | None
    answered_at: datetime | None


async def open_last_call(actor: Actor | None, proposal_id: int, now: datetime | None = None) -> ProposalView:
    """A steward at any time, or the author after the minimum discussion time, opens the last call;
    with a rule of 0 days, the vote opens directly."""
    actor = signed_in(actor, Term("open the last call"))
    positive_id(proposal_id, Term("proposal number"))
    now = moment(now)
    async with Proposal._meta.db.transaction():
        await lock_row(Proposal, proposal_id)
        row = await proposal_row(proposal_id)
        rule = await get_rule(row["framework"])
        await check_may_start(actor, row, rule, now, "last_call")
        if not rule.last_call_days:
            await start_vote(row, rule, actor.id, now)
        else:
            group = await voters_required(row)
            ends_at = now + timedelta(days=rule.last_call_days)
            await Proposal.update(
                {Proposal.status: "last_call", Proposal.last_call_ends_at: ends_at, Proposal.updated_at: now}
            ).where(Proposal.id == proposal_id)
            detail = {"ends_at": ends_at.isoformat(), "working_group": group[0]}
            await record(actor.id, "last_call.opened", "proposal", proposal_id, detail)
            await emit(
                "last_call",
                actor=actor.id,
                proposal=proposal_id,
                data={**about(row), "ends_at": f"{ends_at:%Y-%m-%d %H:%M}"},
            )
            await announce(PROPOSALS, proposal_topic(proposal_id))
    return await get_proposal(proposal_id)


async def raise_concern(
    actor: Actor | None, proposal_id: int, body: object, now: datetime | None = None
) -> ConcernView:
    """A member of the group that decides the proposal raises a blocking concern during its last call."""
    actor = signed_in(actor, Term("raise a concern"))
    positive_id(proposal_id, Term("proposal number"))
    body = clean_text(body, Term("concern"), CONCERN_MAX, field="body", markdown=True)
    body_html = await render_markdown_off_loop(body)
    now = moment(now)
    async with Proposal._meta.db.transaction():
        await lock_row(Proposal, proposal_id)
        row = await proposal_row(proposal_id)
        _, voters = await voters_required(row)
        if actor.id not in voters:
            raise Forbidden(
                "Only members of the working group that decides this proposal may raise a concern."
            )
        if row["status"] != "last_call" or now >= row["last_call_ends_at"]:
            raise Conflict(
                "Concerns are raised during the last call: proposal %(number)s is %(status)s.",
                number=str(proposal_id),
                status=STATUS_NAMES[row["status"]]
                if row["status"] != "last_call"
                else Term("at the end of its last call"),
            )
        concern = Concern(
            proposal=proposal_id, author=actor.id, body=body, body_html=body_html, created_at=now
        )
        await Concern.insert(concern)
        await record(actor.id, "concern.raised", "proposal", proposal_id, {"concern": concern.id})
        await announce(proposal_topic(proposal_id))
    return await get_concern(concern.id)


async def answer_concern(
    actor: Actor | None, concern_id: int, body: object, now: datetime | None = None
) -> ConcernView:
    """The proposal's author or a steward answers a concern in writing, once, while the vote has not
    opened; at the end of the last call, the last answer opens the vote (open_votes_after_last_call)."""
    actor = signed_in(actor, Term("answer a concern"))
    positive_id(concern_id, Term("concern number"))
    body = clean_text(body, Term("answer"), CONCERN_MAX, field="body", markdown=True)
    body_html = await render_markdown_off_loop(body)
    now = moment(now)
    concern = await get_concern(concern_id)
    async with Proposal._meta.db.transaction():
        await lock_row(Proposal, concern.proposal_id)
        row = await proposal_row(concern.proposal_id)
        if row["author"] != actor.id and not actor.role.at_least(Role.steward):
            raise Forbidden("Only the proposal's author or a steward may answer a concern.")
        if row["status"] != "last_call":
            raise Conflict(
                "Proposal %(number)s is %(status)s: concerns are answered during its last call.",
                number=str(row["id"]),
                status=STATUS_NAMES[row["status"]],
            )
        updated = (
            await Concern.update(
                {
                    Concern.answer: body,
                    Concern.answer_html: body_html,
                    Concern.answered_by: actor.id,
                    Concern.answered_at: now,
                }
            )
            .where((Concern.id == concern_id) & Concern.answer.is_null())
            .returning(Concern.id)
        )
        if not updated:
            raise Conflict("Concern %(number)s has an answer already.", number=str(concern_id))
        await record(actor.id, "concern.answered", "proposal", row["id"], {"concern": concern_id})
        await announce(proposal_topic(row["id"]))
    return await get_concern(concern_id)


async def open_votes_after_last_call(now: datetime | None = None) -> int:
    """Open the vote on every proposal whose last call has ended with every concern answered (the
    decision loop calls it). Each in its own transaction; returns how many opened."""
    now = moment(now)
    due = (
        await Proposal.select(Proposal.id)
        .where((Proposal.status == "last_call") & (Proposal.last_call_ends_at <= now))
        .order_by(Proposal.last_call_ends_at, Proposal.id)
    )
    opened = 0
    for item in due:
        try:
            async with Proposal._meta.db.transaction():
                await lock_row(Proposal, item["id"])
                row = await proposal_row(item["id"])
                held = await holding_process(row["id"])  # a Delphi process decides it instead
                if row["status"] != "last_call" or held or await unanswered_concerns(row["id"]):
                    continue
                await start_vote(row, await get_rule(row["framework"]), None, now)
        except Conflict as error:  # e.g. the group has no voters any more
            log.info("proposal %s stays in last call: %s", item["id"], error)
            continue
        opened += 1
    return opened


def _view(row: dict) -> ConcernView:
    return ConcernView(
        id=row["id"],
        proposal_id=row["proposal"],
        author=row["author_name"],
        body=row["body"],
        body_html=row["body_html"],
        created_at=row["created_at"],
        answer=row["answer"],
        answer_html=row["answer_html"],
        answered_by=row["answered_by_name"],
        answered_at=row["answered_at"],
    )


def _select():
    return Concern.select(
        *Concern.all_columns(),
        Concern.author.display_name.as_alias("author_name"),
        Concern.answered_by.display_name.as_alias("answered_by_name"),
    )


async def get_concern(concern_id: int) -> ConcernView:
    row = await _select().where(Concern.id == concern_id).first()
    if row is None:
        raise NotFound("There is no concern number %(number)s.", number=str(concern_id))
    return _view(row)


async def concerns_of(proposal_id: int) -> list[ConcernView]:
    """A proposal's concerns, oldest first."""
    return [_view(row) for row in await _select().where(Concern.proposal == proposal_id).order_by(Concern.id)]
