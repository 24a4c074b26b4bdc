"""Writing proposals: create, preview, revise and withdraw."""

from __future__ import annotations

from datetime import UTC, datetime

from indicators.compare import FieldChange
from indicators.versions import LATEST
from proposals.audit import record
from proposals.delphi import refuse_if_rated
from proposals.following import add_follow
from proposals.notifications import about, emit
from proposals.reading import ProposalView, get_proposal
from proposals.resolving import ResolvedChange, adaptation_base, resolve_change
from proposals.roles import Actor
from proposals.services import (
    OPEN_STATUSES,
    STATUS_NAMES,
    TEXT_MAX,
    TITLE_MAX,
    clean_text,
    normalise_content,
    positive_id,
    proposal_row,
    signed_in,
)
from proposals.tables import Ballot, Proposal, ProposalRevision
from proposals.topics import PROPOSALS, proposal_topic
from web.changes import announce
from web.database import lock_row
from web.failures import Conflict, Forbidden, InvalidInput
from web.markdown import render_markdown_off_loop
from web.messages import Term


async def preview_change(
    framework_slug: str | None,
    kind: str,
    base_version: str,
    indicator: str | None = None,
    theme: str | None = None,
    content: dict | None = None,
    change_class: str | None = None,
    adaptation_id: int | None = None,
) -> list[FieldChange]:
    """What a proposal would change, checked as create_proposal checks it; writes nothing."""
    if adaptation_id is not None and kind == "confirm":
        raise InvalidInput(
            "A confirmation reviews an indicator of the national framework: a local adaptation has no "
            "review dates of its own.",
            "kind",
        )
    framework_slug, base_version = await _target(framework_slug, base_version, adaptation_id)
    change = await resolve_change(framework_slug, kind, base_version, indicator, theme, change_class, content)
    return change.diff


async def _target(framework_slug: str | None, base_version: str, adaptation_id: int | None) -> tuple:
    """The framework and release a new proposal is checked against: those given, or for a proposal to
    a local adaptation (framework_slug None or the adaptation's), its framework and the release it
    adapts (adaptation_base)."""
    if adaptation_id is None:
        return framework_slug, base_version
    slug, base = await adaptation_base(adaptation_id, base_version)
    if framework_slug not in (None, slug):
        raise InvalidInput(
            "The local adaptation %(number)s adapts the framework %(slug)r.",
            "framework",
            number=str(adaptation_id),
            slug=slug,
        )
    return slug, base


async def create_proposal(
    actor: Actor | None,
    framework_slug: str | None,
    kind: str,
    base_version: str,
    title: str,
    rationale: str,
    indicator: str | None = None,
    theme: str | None = None,
    change_class: str | None = None,
    content: dict | None = None,
    adaptation_id: int | None = None,
) -> ProposalView:
    """A proposal to the framework `framework_slug`, or with `adaptation_id` to that local adaptation:
    the same change (add, amend, retire), decided by the adaptation's territorial network and
    published as a new version of the adaptation (proposals.voting)."""
    actor = signed_in(actor, Term("write a proposal"))
    title, rationale = _clean_title(title), _clean_rationale(rationale)
    framework_slug, base_version = await _target(framework_slug, base_version, adaptation_id)
    change = await resolve_change(framework_slug, kind, base_version, indicator, theme, change_class, content)
    text = {
        "title": title,
        "rationale": rationale,
        "rationale_html": await render_markdown_off_loop(rationale),
    }
    now = datetime.now(UTC)
    async with Proposal._meta.db.transaction():
        proposal = Proposal(
            **_change_columns(change),
            **text,
            framework=change.framework.id,
            kind=kind,
            status="discussion",
            change_class=change.change_class,
            author=actor.id,
            indicator_code=change.indicator_code,
            revision=1,
            adaptation=adaptation_id,
            created_at=now,
            updated_at=now,
        )
        await Proposal.insert(proposal)
        await _keep_revision(proposal.id, 1, title, rationale, change.content, now)
        await add_follow(actor.id, "proposal", str(proposal.id))  # authors follow their proposals
        detail = {
            "kind": kind,
            "change_class": change.change_class,
            "base_version": change.base.version,
            "theme": change.theme_code,
            "indicator": change.indicator_code,
            "title": title,
        }
        if adaptation_id is not None:
            detail["adaptation"] = adaptation_id
        await record(actor.id, "proposal.created", "proposal", proposal.id, detail)
        await announce(PROPOSALS)
    return await get_proposal(proposal.id)


def _clean_title(title: object) -> str:
    return clean_text(title, Term("proposal's title"), TITLE_MAX, field="title", line=True)


def _clean_rationale(rationale: object) -> str:
    return clean_text(rationale, Term("proposal's rationale"), TEXT_MAX, field="rationale", markdown=True)


def _change_columns(change: ResolvedChange) -> dict:
    """What a proposal stores of its change: its base and what it changes."""
    return {
        "content": change.content,
        "base_release": change.base.id,
        "base_revision": change.base_revision,
        "theme": change.theme_id,
    }


async def _keep_revision(
    proposal_id: int, number: int, title: str, rationale: str, content: dict | None, now: datetime
) -> None:
    """Every version of a proposal stays readable (proposal_revision is append-only)."""
    await ProposalRevision.insert(
        ProposalRevision(
            proposal=proposal_id,
            number=number,
            title=title,
            rationale=rationale,
            content=content,
            created_at=now,
        )
    )


async def revise_proposal(
    actor: Actor | None,
    proposal_id: int,
    expected_revision: int,
    title: str | None = None,
    rationale: str | None = None,
    content: dict | None = None,
    rebase: bool = False,
) -> ProposalView:
    """The author revises a proposal in discussion. `content` fields replace those proposed so far
    (others stay). With `rebase`, the proposal is brought onto the current release: an amendment's
    changed fields are applied to the indicator's current text (after another proposal on it was
    published). `expected_revision` is the revision the author saw: if it was revised since, Conflict."""
    actor = signed_in(actor, Term("revise a proposal"))
    positive_id(expected_revision, Term("expected revision"), "expected_revision")
    title = _clean_title(title) if title is not None else None
    rationale = _clean_rationale(rationale) if rationale is not None else None
    given = normalise_content(content)
    row = await proposal_row(proposal_id)
    _check_revisable(actor, row, expected_revision, rebase)
    change, new = await _revision(row, title, rationale, given, rebase)
    changed = [name for name, value in new.items() if value != row[name]]
    if not changed:
        raise InvalidInput("This revision changes nothing: give a new title, rationale or content.")
    rationale_html = (
        await render_markdown_off_loop(new["rationale"]) if "rationale" in changed else row["rationale_html"]
    )
    now = datetime.now(UTC)
    async with Proposal._meta.db.transaction():
        await lock_row(Proposal, proposal_id)
        current = await proposal_row(proposal_id)
        _check_revisable(actor, current, expected_revision, rebase)
        await refuse_if_rated(proposal_id)
        if current["status"] == "voting":
            await _cancel_vote(actor, current, change)
        number = current["revision"] + 1
        columns = {**new, "rationale_html": rationale_html, "revision": number, "updated_at": now}
        await Proposal.update(columns).where(Proposal.id == proposal_id)
        await _keep_revision(proposal_id, number, new["title"], new["rationale"], new["content"], now)
        detail: dict = {"revision": number, "changed": changed}
        if "base_release" in changed:
            detail["base_version"] = change.base.version
        await record(actor.id, "proposal.revised", "proposal", proposal_id, detail)
        await emit("revision", actor=actor.id, proposal=proposal_id, data=about({**current, **new}))
        await announce(PROPOSALS, proposal_topic(proposal_id))
    return await get_proposal(proposal_id)


async def _revision(
    row: dict, title: str | None, rationale: str | None, given: dict, rebase: bool
) -> tuple[ResolvedChange, dict]:
    """The change as revised (checked against its base, or with `rebase` the current release: for a
    proposal to an adaptation, the release the adaptation adapts now), and the proposal's columns once
    revised."""
    if rebase and row["adaptation"] is not None:
        _slug, base_version = await adaptation_base(row["adaptation"], LATEST)
    else:
        base_version = LATEST if rebase else row["base_version"]
    change = await resolve_change(
        row["framework_slug"],
        row["kind"],
        base_version,
        row["indicator_code"],
        row["theme_code"] if row["kind"] == "add" else None,
        row["change_class"],
        {**(row["content"] or {}), **given},
    )
    new = {
        "title": title if title is not None else row["title"],
        "rationale": rationale if rationale is not None else row["rationale"],
        **_change_columns(change),
    }
    return change, new


async def _cancel_vote(actor: Actor, row: dict, change: ResolvedChange) -> None:
    """A proposal outrun during its vote, brought onto the current text: ballots were cast on the
    old text, so the vote starts again after a new discussion."""
    if row["adaptation"] is not None:
        # Outrun only when the adaptation adopted another release (services.is_stale).
        if change.base.id == row["base_release"]:
            raise Conflict(
                "The adaptation still adapts release %(version)s, which this proposal is written against: "
                "nothing to update.",
                version=change.base.version,
            )
    elif change.base_revision == row["base_revision"]:
        raise Conflict("The indicator has not changed since this proposal was written: nothing to update.")
    await Ballot.delete().where(Ballot.proposal == row["id"])
    await Proposal.update(
        {Proposal.status: "discussion", Proposal.vote_opened_at: None, Proposal.closes_at: None}
    ).where(Proposal.id == row["id"])
    await record(actor.id, "vote.cancelled", "proposal", row["id"], {"reason": "updated"})


def _check_revisable(actor: Actor, row: dict, expected_revision: int, rebase: bool = False) -> None:
    if row["author"] != actor.id:
        raise Forbidden("Only the author of a proposal may revise it.")
    # A proposal outrun by another one during its vote cannot be accepted as it stands: its
    # author may still bring it onto the current text, which sends it back to discussion.
    if row["status"] != "discussion" and not (row["status"] == "voting" and rebase):
        raise Conflict(
            "Proposal %(number)s is %(status)s: only a proposal in discussion can be revised.",
            number=str(row["id"]),
            status=STATUS_NAMES[row["status"]],
        )
    if row["revision"] != expected_revision:
        raise Conflict(
            "Proposal %(number)s was revised since (now revision %(revision)s); "
            "reload it and apply your changes again.",
            number=str(row["id"]),
            revision=str(row["revision"]),
        )


async def withdraw_proposal(actor: Actor | None, proposal_id: int) -> ProposalView:
    """The author withdraws a proposal before it is decided."""
    actor = signed_in(actor, Term("withdraw a proposal"))
    positive_id(proposal_id, Term("proposal number"))
    async with Proposal._meta.db.transaction():
        await lock_row(Proposal, proposal_id)
        row = await proposal_row(proposal_id)
        if row["author"] != actor.id:
            raise Forbidden("Only the author of a proposal may withdraw it.")
        if row["status"] not in OPEN_STATUSES:
            raise Conflict(
                "Proposal %(number)s is %(status)s: it can no longer be withdrawn.",
                number=str(proposal_id),
                status=STATUS_NAMES[row["status"]],
            )
        await refuse_if_rated(proposal_id)
        await Proposal.update({Proposal.status: "withdrawn", Proposal.updated_at: datetime.now(UTC)}).where(
            Proposal.id == proposal_id
        )
        await record(actor.id, "proposal.withdrawn", "proposal", proposal_id, {"from": row["status"]})
        await announce(PROPOSALS, proposal_topic(proposal_id))
    return await get_proposal(proposal_id)
