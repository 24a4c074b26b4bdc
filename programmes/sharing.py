"""Share links: read access to one assessment for a reviewer or a funder, until it expires or an
admin revokes it. The link holds a random token; only its hash is kept."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from programmes.assessments import open_assessment, share_digest
from programmes.membership import require_role
from programmes.roles import ProgrammeRole
from programmes.tables import ShareLink
from programmes.topics import programme_topic
from proposals.audit import record
from proposals.roles import Actor
from proposals.services import signed_in
from web.changes import announce
from web.failures import InvalidInput, NotFound
from web.messages import Term

DAYS_MAX = 365


@dataclass(frozen=True)
class ShareLinkView:
    id: int
    assessment_id: int
    created_at: datetime
    expires_at: datetime
    token: str | None = None  # only when just made: it is never shown again


def share_days(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= DAYS_MAX:
        raise InvalidInput(
            "A share link lasts from 1 to %(maximum)s days: give a whole number of days.",
            "expires_in_days",
            maximum=DAYS_MAX,
        )
    return value


async def create_share_link(actor: Actor | None, assessment_id: int, days: object) -> ShareLinkView:
    doing = Term("share this assessment")
    actor = signed_in(actor, doing)
    row, _role = await open_assessment(actor, assessment_id, ProgrammeRole.admin, doing)
    days = share_days(days)
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    async with ShareLink._meta.db.transaction():
        link = ShareLink(
            assessment=assessment_id,
            token_hash=share_digest(token),
            created_by=actor.id,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        await ShareLink.insert(link)
        detail = {"share_link": link.id, "days": days}
        await record(actor.id, "assessment.shared", "assessment", assessment_id, detail)
        await announce(programme_topic(row["programme"]))
    return ShareLinkView(link.id, assessment_id, now, link.expires_at, token)


async def list_share_links(assessment_id: int) -> list[ShareLinkView]:
    """The links of an assessment that still work, newest first (callers check the admin's role)."""
    rows = (
        await ShareLink.select(ShareLink.id, ShareLink.created_at, ShareLink.expires_at)
        .where((ShareLink.assessment == assessment_id) & (ShareLink.expires_at > datetime.now(UTC)))
        .order_by(ShareLink.id, ascending=False)
    )
    return [ShareLinkView(r["id"], assessment_id, r["created_at"], r["expires_at"]) for r in rows]


async def revoke_share_link(actor: Actor | None, link_id: int) -> int:
    """The link stops opening its assessment at once. Returns the assessment's id."""
    row = (
        await ShareLink.select(ShareLink.assessment, ShareLink.assessment.programme.as_alias("programme"))
        .where(ShareLink.id == link_id)
        .first()
    )
    if row is None:
        raise NotFound("There is no share link number %(number)s.", number=str(link_id))
    actor, _role = await require_role(
        actor, row["programme"], ProgrammeRole.admin, Term("revoke a share link")
    )
    async with ShareLink._meta.db.transaction():
        await ShareLink.delete().where(ShareLink.id == link_id)
        await record(
            actor.id, "assessment.share_revoked", "assessment", row["assessment"], {"share_link": link_id}
        )
        await announce(programme_topic(row["programme"]))
    return row["assessment"]
