"""What the Atom feed of a framework's proposals tells: proposals opened and proposals decided."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from proposals.tables import Proposal

FEED_ENTRIES = 50


@dataclass(frozen=True)
class FeedEntry:
    proposal_id: int
    event: str  # opened | accepted | rejected
    at: datetime
    title: str
    kind: str
    indicator: str | None
    theme: str
    release_version: str | None


async def proposal_events(slug: str, limit: int = FEED_ENTRIES) -> list[FeedEntry]:
    """The `limit` latest openings and decisions of proposals to the framework, newest first. Two
    queries, each on the newest rows only."""
    P = Proposal
    columns = (
        P.id,
        P.title,
        P.kind,
        P.indicator_code,
        P.status,
        P.created_at,
        P.decided_at,
        P.theme.code.as_alias("theme"),
        P.release.version.as_alias("version"),
    )
    mine = (P.framework.slug == slug) & P.adaptation.is_null()
    opened = await P.select(*columns).where(mine).order_by(P.id, ascending=False).limit(limit)
    decided = (
        await P.select(*columns)
        .where(mine & P.decided_at.is_not_null())
        .order_by(P.decided_at, ascending=False)
        .limit(limit)
    )
    entries = [_entry(row, "opened", row["created_at"]) for row in opened]
    entries += [_entry(row, row["status"], row["decided_at"]) for row in decided]
    return sorted(entries, key=lambda e: (e.at, e.proposal_id), reverse=True)[:limit]


def _entry(row: dict, event: str, at: datetime) -> FeedEntry:
    return FeedEntry(
        proposal_id=row["id"],
        event=event,
        at=at,
        title=row["title"],
        kind=row["kind"],
        indicator=row["indicator_code"],
        theme=row["theme"],
        release_version=row["version"],
    )
