"""Votes and decisions: opening a vote, ballots, the tally and, for an accepted proposal, its release."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from piccolo.query.functions.aggregate import Count

from indicators.adaptations import AdaptationView, LocalChange, get_adaptation, publish_adaptation_change
from indicators.content import IndicatorText
from indicators.publication import Change, ChangeKind, publish_release
from indicators.queries import ReleaseSummary, texts_in_release
from indicators.versions import Bump
from proposals.audit import record
from proposals.ballot_box import write_ballot
from proposals.delphi import refuse_if_rated
from proposals.notifications import about, emit, emit_release, told
from proposals.reading import ProposalView, get_proposal
from proposals.roles import Actor, Role
from proposals.rules import Rule, Tally, decide_outcome, get_rule, quorum_needed, quorum_reached
from proposals.services import (
    PUBLISHED_AS,
    STATUS_NAMES,
    clean_text,
    moment,
    positive_id,
    proposal_row,
    proposed_text,
    signed_in,
)
from proposals.tables import Ballot, Concern, Proposal
from proposals.topics import PROPOSALS, proposal_topic
from proposals.working_groups import (
    WorkingGroupInfo,
    get_working_group,
    group_for_theme,
    group_voters,
)
from web.changes import announce
from web.database import lock_row
from web.failures import Conflict, Forbidden, InvalidInput
from web.messages import Term

log = logging.getLogger(__name__)

CHOICES = ("for", "against", "abstain")
VOTE_REASON_MAX = 2_000
DECIDED = ("accepted", "rejected")


@dataclass(frozen=True)
class BallotView:
    proposal_id: int
    voter_id: int
    choice: str
    reason: str
    cast_at: datetime


@dataclass(frozen=True)
class VoteStatus:
    """Where a vote stands, without its tally (hidden until the decision)."""

    status: str
    group_size: int  # its voters: active members of the group with the member role or above
    voted: int
    quorum_needed: int
    vote_opened_at: datetime | None
    closes_at: datetime | None


@dataclass(frozen=True)
class Decision:
    proposal_id: int
    framework: str  # its slug
    status: str  # accepted | rejected
    tally: dict  # {for, against, abstain, group_size, quorum_reached}
    release_version: str | None
    # A proposal to a local adaptation: the adaptation, and the version that an acceptance published.
    adaptation_id: int | None = None
    adaptation_version: int | None = None


async def responsible_group(row: dict) -> tuple[int, tuple[int, ...]] | None:
    """The working group that decides a proposal (its row, as proposal_row reads it) and its voters:
    the territorial network keeping the adaptation for a proposal to a local adaptation, the group
    answering for the theme otherwise (None if there is none)."""
    if row["adaptation"] is not None:
        return row["network"], await group_voters(row["network"])
    return await group_for_theme(row["theme"])


async def check_may_start(actor: Actor, row: dict, rule: Rule, now: datetime, what: str) -> None:
    """A steward at any time, or the author after the minimum discussion time, may end the discussion
    of a proposal (its row, locked) by opening the vote or the last call (`what`)."""
    steward = actor.role.at_least(Role.steward)
    if not steward and row["author"] != actor.id:
        if what == "last_call":
            raise Forbidden(
                "Only a steward, or the proposal's author after the discussion time, may open the last call."
            )
        raise Forbidden(
            "Only a steward, or the proposal's author after the discussion time, may open the vote."
        )
    await refuse_if_rated(row["id"])
    if row["status"] != "discussion":
        values = {"number": str(row["id"]), "status": STATUS_NAMES[row["status"]]}
        if what == "last_call":
            raise Conflict(
                "Proposal %(number)s is %(status)s: a last call opens only on a proposal in discussion.",
                **values,
            )
        raise Conflict(
            "Proposal %(number)s is %(status)s: a vote opens only on a proposal in discussion.", **values
        )
    earliest = row["created_at"] + timedelta(days=rule.min_discussion_days)
    if not steward and now < earliest:
        raise Conflict(
            "The minimum discussion time is not over: you may open the vote from %(date)s UTC, "
            "or ask a steward.",
            date=f"{earliest.astimezone(UTC):%Y-%m-%d %H:%M}",
        )


async def voters_required(row: dict) -> tuple[int, tuple[int, ...]]:
    """The group that decides the proposal and its voters; Conflict when it has none."""
    group = await responsible_group(row)
    if group is None or not group[1]:
        if row["adaptation"] is not None:
            raise Conflict(
                "The territorial network of this local adaptation has no members who may vote: "
                "a steward must add some before the vote."
            )
        raise Conflict(
            "No working group with members answers for the theme %(theme)s: "
            "a steward must set one up before the vote.",
            theme=row["theme_code"],
        )
    return group


async def unanswered_concerns(proposal_id: int) -> int:
    return await Concern.count().where((Concern.proposal == proposal_id) & Concern.answer.is_null())


async def start_vote(row: dict, rule: Rule, actor_id: int | None, now: datetime) -> None:
    """Open the vote on a proposal (its row, locked), in the caller's transaction."""
    group = await voters_required(row)
    closes_at = now + timedelta(days=rule.voting_days)
    await Proposal.update(
        {
            Proposal.status: "voting",
            Proposal.vote_opened_at: now,
            Proposal.closes_at: closes_at,
            Proposal.updated_at: now,
        }
    ).where(Proposal.id == row["id"])
    detail = {"closes_at": closes_at.isoformat(), "working_group": group[0], "group_size": len(group[1])}
    await record(actor_id, "vote.opened", "proposal", row["id"], detail)
    await emit("vote_opened", actor=actor_id, proposal=row["id"], data=about(row))
    await announce(PROPOSALS, proposal_topic(row["id"]))


async def open_vote(actor: Actor | None, proposal_id: int, now: datetime | None = None) -> ProposalView:
    """From discussion, when the framework has no last call: a steward at any time, or the author
    after the minimum discussion time. During a last call: a steward, once every concern raised has
    its answer (at the end of the last call it opens by itself on the same condition)."""
    actor = signed_in(actor, Term("open a vote"))
    positive_id(proposal_id, Term("proposal number"))
    now = moment(now)
    async with Proposal._meta.db.transaction():
        await lock_row(Proposal, proposal_id)
        row = await proposal_row(proposal_id)
        rule = await get_rule(row["framework"])
        if row["status"] == "last_call":
            actor.require(Role.steward, Term("open the vote before the end of the last call"))
            await refuse_if_rated(proposal_id)
            if await unanswered_concerns(proposal_id):
                raise Conflict(
                    "A blocking concern raised during the last call has no answer yet: the vote opens "
                    "once the author or a steward has answered every concern."
                )
        else:
            await check_may_start(actor, row, rule, now, "vote")
            if rule.last_call_days:
                raise Conflict(
                    "This framework holds a last call of %(days)s days before each vote: open the last "
                    "call first.",
                    days=rule.last_call_days,
                )
        await start_vote(row, rule, actor.id, now)
    return await get_proposal(proposal_id)


async def cast_vote(
    actor: Actor | None, proposal_id: int, choice: str, reason: str | None = "", now: datetime | None = None
) -> BallotView:
    """A member of the responsible working group votes while the vote is open; voting again replaces
    the earlier ballot."""
    actor = signed_in(actor, Term("cast a vote"))
    positive_id(proposal_id, Term("proposal number"))
    if choice not in CHOICES:
        raise InvalidInput(
            "Unknown choice %(choice)r: vote for, against or abstain.", "choice", choice=choice
        )
    reason = clean_text(
        reason or "", Term("reason for your vote"), VOTE_REASON_MAX, required=False, field="reason"
    )
    now = moment(now)
    await write_ballot(proposal_id, actor.id, choice, reason, now)
    return BallotView(proposal_id, actor.id, choice, reason, now)


async def my_ballot(proposal_id: int, account_id: int) -> BallotView | None:
    """An account's own ballot on a proposal, to show it to them."""
    row = (
        await Ballot.select(Ballot.choice, Ballot.reason, Ballot.cast_at)
        .where((Ballot.proposal == proposal_id) & (Ballot.voter == account_id))
        .first()
    )
    return None if row is None else BallotView(proposal_id, account_id, **row)


async def _tally(proposal_id: int, members: tuple[int, ...]) -> Tally:
    """Ballots of the group's voters (responsible_group), by choice: no one else's count."""
    if not members:
        return Tally()
    rows = (
        await Ballot.select(Ballot.choice, Count())
        .where((Ballot.proposal == proposal_id) & Ballot.voter.is_in(list(members)))
        .group_by(Ballot.choice)
    )
    counts = {row["choice"]: row["count"] for row in rows}
    return Tally(
        for_=counts.get("for", 0), against=counts.get("against", 0), abstain=counts.get("abstain", 0)
    )


async def vote_status(proposal_id: int) -> VoteStatus:
    row = await proposal_row(proposal_id)
    rule = await get_rule(row["framework"])
    group = await responsible_group(row)
    voters = group[1] if group else ()
    voted = (
        await Ballot.count().where((Ballot.proposal == proposal_id) & Ballot.voter.is_in(list(voters)))
        if voters
        else 0
    )
    return VoteStatus(
        status=row["status"],
        group_size=len(voters),
        voted=voted,
        quorum_needed=quorum_needed(len(voters), rule),
        vote_opened_at=row["vote_opened_at"],
        closes_at=row["closes_at"],
    )


async def responsible_working_group(proposal_id: int) -> WorkingGroupInfo | None:
    """The working group that votes on a proposal (responsible_group), as its page names it."""
    group = await responsible_group(await proposal_row(proposal_id))
    return await get_working_group(group[0]) if group is not None else None


async def voters_of(proposal_id: int) -> tuple[int, ...]:
    """The accounts that may vote on a proposal now (responsible_group)."""
    group = await responsible_group(await proposal_row(proposal_id))
    return group[1] if group else ()


async def decide_proposal(actor: Actor | None, proposal_id: int, now: datetime | None = None) -> Decision:
    """Apply the decision rule to the ballots; publish an accepted proposal at once: as a new release,
    or for a proposal to a local adaptation as a new version of the adaptation.

    actor None: automatic, only once the vote has closed. Otherwise a steward, at any time. The group's
    size is taken at decision time: only its voters then (responsible_group) count, in the quorum's
    denominator and in the tally. An accepted proposal whose indicator changed since its base (to an
    adaptation: whose adaptation adopted another release since) raises Conflict and changes nothing.
    """
    if actor is not None:
        actor.require(Role.steward, Term("close a vote"))
    positive_id(proposal_id, Term("proposal number"))
    now = moment(now)
    async with Proposal._meta.db.transaction():
        await lock_row(Proposal, proposal_id)
        row = await _row_to_decide(actor, proposal_id, now)
        tally = await _count(row)
        accepted, eligible = tally.pop("accepted"), tally.pop("eligible")
        release = adapted = None
        if accepted and row["adaptation"] is not None:
            adapted = await _publish_locally(row)
        elif accepted:
            release = await _publish(row)
        status = "accepted" if accepted else "rejected"
        await Proposal.update(
            {
                Proposal.status: status,
                Proposal.decided_at: now,
                Proposal.tally: tally,
                Proposal.release: release.id if release else None,
                Proposal.updated_at: now,
            }
        ).where(Proposal.id == proposal_id)
        version = release.version if release else None
        # The record says who could vote when it closed (ballot choices stay secret).
        detail = {
            "status": status,
            "tally": tally,
            "eligible": eligible,
            "release": version,
            "automatic": actor is None,
        }
        concerns = await Concern.select(Concern.id, Concern.body, Concern.answer).where(
            Concern.proposal == proposal_id
        )
        if concerns:  # the last call's concerns and their answers, in the decision's record
            detail["concerns"] = concerns
        if row["adaptation"] is not None:
            detail["adaptation"] = {"id": row["adaptation"], "version": adapted.version if adapted else None}
        await record(actor.id if actor else None, "proposal.decided", "proposal", proposal_id, detail)
        await emit(
            "decision",
            actor=actor.id if actor else None,
            proposal=proposal_id,
            data={**about(row), "status": status},
        )
        if release is not None:
            await emit_release(row["framework_slug"], release.version, [row])
        await announce(PROPOSALS, proposal_topic(proposal_id))
    return Decision(
        proposal_id,
        row["framework_slug"],
        status,
        tally,
        version,
        adaptation_id=row["adaptation"],
        adaptation_version=adapted.version if adapted else None,
    )


async def _row_to_decide(actor: Actor | None, proposal_id: int, now: datetime) -> dict:
    """The proposal, if it may be decided now (by `actor`, or automatically when it is None)."""
    row = await proposal_row(proposal_id)
    if row["status"] != "voting":
        raise Conflict(
            "Proposal %(number)s is %(status)s: only a proposal being voted on is decided.",
            number=str(proposal_id),
            status=STATUS_NAMES[row["status"]],
        )
    if actor is None and now < row["closes_at"]:
        raise Conflict(
            "The vote on proposal %(number)s closes at %(date)s UTC: only a steward may close it earlier.",
            number=str(proposal_id),
            date=f"{row['closes_at'].astimezone(UTC):%Y-%m-%d %H:%M}",
        )
    return row


async def _count(row: dict) -> dict:
    """The tally as stored with the decision ({for, against, abstain, group_size, quorum_reached}),
    whether the rule accepts the proposal (`accepted`) and who could vote (`eligible`, recorded in
    the audit log)."""
    rule = await get_rule(row["framework"])
    group = await responsible_group(row)
    voters = group[1] if group else ()
    tally = await _tally(row["id"], voters)
    return {
        "for": tally.for_,
        "against": tally.against,
        "abstain": tally.abstain,
        "group_size": len(voters),
        "quorum_reached": quorum_reached(tally, len(voters), rule),
        "accepted": decide_outcome(row["kind"], tally, len(voters), rule),
        "eligible": list(voters),
    }


async def _proposed(row: dict) -> IndicatorText | None:
    """The indicator's text as the proposal makes it (None for a retirement)."""
    kind, code = row["kind"], row["indicator_code"]
    base_text = None
    if kind != "add":
        base_text = (await texts_in_release(row["base_release"], [code]))[code][2]
    return proposed_text(kind, base_text, row["content"])


async def _publish(row: dict) -> ReleaseSummary:
    """The new release made of an accepted proposal, inside the decision's transaction. The
    publication refuses it (StaleChange) if the indicator was revised since the proposal's base."""
    kind = row["kind"]
    change = Change(
        ChangeKind(PUBLISHED_AS[kind]),
        row["indicator_code"],  # None for an addition: the publication gives the new indicator its code
        await _proposed(row),
        theme=row["theme_code"] if kind == "add" else None,
        base_revision=row["base_revision"],
    )
    bump = Bump(row["change_class"])  # retire: major; add, amend: minor; editorial amend: patch
    return await publish_release(
        row["framework_slug"], [change], bump, summary=row["title"], proposal_id=row["id"]
    )


# What each kind of proposal is to a local adaptation.
LOCAL_KINDS = {"amend": "reworded", "retire": "not_applicable", "add": "added"}


async def _publish_locally(row: dict) -> AdaptationView:
    """The new version of the adaptation made of an accepted proposal to it, inside the decision's
    transaction: a local rewording, "not applicable here" (the rationale is the reason) or a local
    indicator. Refused (Conflict) when the adaptation adopted another release since the proposal's
    base, checked again on the version published (made under the adaptation's lock): a concurrent
    adoption rolls the publication back with the decision."""
    _check_local_base(row, await get_adaptation(row["adaptation"]))
    change = LocalChange(
        indicator=row["indicator_code"] or "",  # "" for an addition: it gets a local code
        kind=LOCAL_KINDS[row["kind"]],
        reason=row["rationale"],
        theme=row["theme_code"] if row["kind"] == "add" else "",
        content=await _proposed(row),
    )
    published = await publish_adaptation_change(
        row["adaptation"], change, proposal_id=row["id"], summary=row["title"]
    )
    _check_local_base(row, published)
    return published


def _check_local_base(row: dict, adaptation: AdaptationView) -> None:
    if adaptation.base_version != row["base_version"]:
        raise Conflict(
            "The local adaptation %(name)r now adapts release %(version)s, and this proposal is written "
            "against release %(base)s: its author must update it before it can be accepted.",
            name=adaptation.name,
            version=adaptation.base_version,
            base=row["base_version"],
        )


async def decide_due_proposals(now: datetime | None = None) -> int:
    """Decide every proposal whose vote has closed; those that cannot be (Conflict, e.g. a stale
    indicator) stay in voting. Each decision is its own transaction. Returns how many were decided."""
    now = moment(now)
    due = (
        await Proposal.select(Proposal.id)
        .where((Proposal.status == "voting") & (Proposal.closes_at <= now))
        .order_by(Proposal.closes_at, Proposal.id)
    )
    decided = 0
    for row in due:
        try:
            await decide_proposal(None, row["id"], now)
        except Conflict as error:
            log.info("proposal %s left in voting: %s", row["id"], error)
            continue
        decided += 1
    return decided


CLOSING_SOON = timedelta(hours=48)


async def remind_closing_votes(now: datetime | None = None) -> int:
    """An event for each vote closing within 48 hours, heard by the voters who have not voted (once
    per vote: its dedupe key names the vote's opening). Returns how many votes were looked at."""
    now = moment(now)
    closing = await Proposal.select(Proposal.id, Proposal.vote_opened_at).where(
        (Proposal.status == "voting")
        & (Proposal.closes_at > now)
        & (Proposal.closes_at <= now + CLOSING_SOON)
    )
    keys = {item["id"]: f"vote_closing:{item['id']}:{item['vote_opened_at'].isoformat()}" for item in closing}
    done = await told(list(keys.values()))
    for item in closing:  # few: votes closing within two days and not told yet
        if keys[item["id"]] in done:
            continue
        row = await proposal_row(item["id"])
        voters = await voters_of(row["id"])
        voted = await Ballot.select(Ballot.voter).where(Ballot.proposal == row["id"])
        waiting = sorted(set(voters) - {b["voter"] for b in voted})
        data = {
            **about(row),
            "closes_at": f"{row['closes_at'].astimezone(UTC):%Y-%m-%d %H:%M}",
            "recipients": waiting,
        }
        await emit("vote_closing", proposal=row["id"], data=data, dedupe=keys[row["id"]])
    return len(closing)


async def against_reasons(proposal_id: int) -> list[tuple[str, str]]:
    """(display name, reason) of those who voted against with a reason, once the proposal is decided
    (an empty list before)."""
    row = await proposal_row(proposal_id)
    if row["status"] not in DECIDED:
        return []
    rows = (
        await Ballot.select(Ballot.voter.display_name.as_alias("name"), Ballot.reason)
        .where((Ballot.proposal == proposal_id) & (Ballot.choice == "against") & (Ballot.reason != ""))
        .order_by(Ballot.cast_at, Ballot.id)
    )
    return [(r["name"], r["reason"]) for r in rows]
