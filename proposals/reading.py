"""Reading proposals: one with its diff against its base, or a page of them, in a fixed number of
queries whatever their number."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from piccolo.columns.combination import Combinable, WhereRaw
from piccolo.query.methods.select import Select

from indicators.adaptation_queries import territory_name
from indicators.compare import FieldChange
from indicators.content import IndicatorText
from indicators.queries import current_revisions, texts_in_release
from proposals.services import (
    OPEN_STATUSES,
    STATUSES,
    is_stale,
    positive_id,
    proposal_diff,
    proposed_text,
)
from proposals.tables import Proposal
from proposals.topics import PROPOSALS
from web.cache import Cache
from web.failures import InvalidInput, NotFound
from web.messages import Term
from web.numbers import LARGEST_ID
from web.paging import Paged

MAX_PER_PAGE = 100


@dataclass(frozen=True)
class AuthorRef:
    id: int
    display_name: str
    organisation: str


@dataclass(frozen=True)
class AdaptationRef:
    """The local adaptation a proposal is made to: its name and its territory's name."""

    id: int
    name: str
    territory: str


@dataclass(frozen=True)
class ProposalSummary:
    """A proposal as lists show it."""

    id: int
    framework: str
    kind: str
    status: str
    change_class: str
    author: AuthorRef
    base_version: str
    theme_code: str
    theme_title: str
    indicator_code: str | None
    title: str
    revision: int
    created_at: datetime
    updated_at: datetime
    closes_at: datetime | None
    decided_at: datetime | None
    release_version: str | None
    stale: bool
    adaptation: AdaptationRef | None  # None for a proposal to the framework itself


@dataclass(frozen=True)
class ProposalView(ProposalSummary):
    """One proposal with its change. `tally` only once decided: {for, against, abstain, group_size,
    quorum_reached}. `diff` compares the change with its base; `proposed` is the indicator's whole text
    as it would be published (None for a retirement); `stale`: the indicator changed since the base."""

    base_revision: int | None
    rationale: str
    rationale_html: str
    content: dict | None
    vote_opened_at: datetime | None
    last_call_ends_at: datetime | None
    tally: dict | None
    base_text: IndicatorText | None
    proposed: IndicatorText | None
    diff: list[FieldChange]


# One page of proposals, newest first.
Page = Paged[ProposalSummary]


P = Proposal
_SUMMARY_COLUMNS = (
    P.id,
    P.framework,
    P.kind,
    P.status,
    P.change_class,
    P.author,
    P.indicator_code,
    P.base_revision,
    P.title,
    P.revision,
    P.created_at,
    P.updated_at,
    P.closes_at,
    P.decided_at,
    P.framework.slug.as_alias("framework_slug"),
    P.author.display_name.as_alias("author_name"),
    P.author.organisation.as_alias("author_organisation"),
    P.base_release.version.as_alias("base_version"),
    P.theme.code.as_alias("theme_code"),
    P.theme.title.as_alias("theme_title"),
    P.release.version.as_alias("release_version"),
    P.base_release,
    P.adaptation,
    P.adaptation.name.as_alias("adaptation_name"),
    P.adaptation.region.as_alias("adaptation_region"),
    P.adaptation.department.as_alias("adaptation_department"),
    P.adaptation.base_release.as_alias("adaptation_base"),
)
_VIEW_COLUMNS = (
    *_SUMMARY_COLUMNS,
    P.rationale,
    P.rationale_html,
    P.content,
    P.vote_opened_at,
    P.last_call_ends_at,
    P.tally,
)


def _common(row: dict, stale: bool) -> dict:
    return {
        "id": row["id"],
        "framework": row["framework_slug"],
        "kind": row["kind"],
        "status": row["status"],
        "change_class": row["change_class"],
        "author": AuthorRef(row["author"], row["author_name"], row["author_organisation"]),
        "base_version": row["base_version"],
        "theme_code": row["theme_code"],
        "theme_title": row["theme_title"],
        "indicator_code": row["indicator_code"],
        "title": row["title"],
        "revision": row["revision"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "closes_at": row["closes_at"],
        "decided_at": row["decided_at"],
        "release_version": row["release_version"],
        "stale": stale,
        "adaptation": _adaptation_ref(row),
    }


def _adaptation_ref(row: dict) -> AdaptationRef | None:
    if row["adaptation"] is None:
        return None
    territory = territory_name(row["adaptation_region"], row["adaptation_department"])
    return AdaptationRef(row["adaptation"], row["adaptation_name"], territory)


def _nationally_undecided(row: dict) -> bool:
    """An undecided amendment or retirement of the framework: whether it is outrun depends on the
    framework's current release (a proposal to an adaptation, on the release the adaptation adapts)."""
    return row["adaptation"] is None and row["kind"] != "add" and row["status"] in OPEN_STATUSES


async def get_proposal(proposal_id: int) -> ProposalView:
    positive_id(proposal_id, Term("proposal number"))
    row = await P.select(*_VIEW_COLUMNS).where(P.id == proposal_id).output(load_json=True).first()
    if row is None:
        raise NotFound("There is no proposal number %(number)s.", number=str(proposal_id))
    base_text = None
    if row["kind"] != "add":
        base = await texts_in_release(row["base_release"], [row["indicator_code"]])
        base_text = base[row["indicator_code"]][2]
    pairs = {(row["framework"], row["indicator_code"])} if _nationally_undecided(row) else set()
    current = await current_revisions(pairs)
    proposed = proposed_text(row["kind"], base_text, row["content"])
    return ProposalView(
        **_common(row, is_stale(row, current)),
        base_revision=row["base_revision"],
        rationale=row["rationale"],
        rationale_html=row["rationale_html"],
        content=row["content"],
        vote_opened_at=row["vote_opened_at"],
        last_call_ends_at=row["last_call_ends_at"],
        tally=row["tally"] if row["status"] in ("accepted", "rejected") else None,
        base_text=base_text,
        proposed=proposed,
        diff=proposal_diff(row["kind"], base_text, proposed),
    )


async def list_proposals(
    framework_slug: str | None = None,
    status: str | None = None,
    theme: str | None = None,
    page: int = 1,
    per_page: int = 20,
    adaptation: int | None = None,
    cursor: str | None = None,
    counts: Cache | None = None,
) -> Page:
    """Proposals, newest first, filtered by framework, status, theme code and the local adaptation
    they are made to. A page by `cursor` (a page's `next_cursor` or `previous_cursor`) is a seek in
    an index on the filters then (created_at, id), whatever the number of proposals; a page by number
    skips the ids before it in that index, or after it for a page in the list's second half (sought
    from the end: the last page costs what the first does); the rows are joined for the page's ids
    only. Two queries (the count, kept in `counts` until a proposal changes, and the page),
    and those of the current revisions of the amendments shown."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(
            "Unknown status %(status)r: use one of %(statuses)s.",
            "status",
            status=status,
            statuses=", ".join(STATUSES),
        )
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise InvalidInput("The page number must be a whole number from 1.", "page")
    if isinstance(per_page, bool) or not isinstance(per_page, int) or not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(
            "The number of proposals per page must be between 1 and %(maximum)s.",
            "per_page",
            maximum=MAX_PER_PAGE,
        )
    if cursor is not None and page != 1:
        raise InvalidInput("Give a page number or a cursor, not both.", "cursor")
    position = read_cursor(cursor) if cursor is not None else None
    if adaptation is not None:
        adaptation = positive_id(adaptation, Term("adaptation number"), "adaptation")
    where = _filters(framework_slug, status, theme, adaptation)

    async def count() -> int:
        return await P.count().where(*where)

    key = ("proposal-count", framework_slug, status, theme, adaptation)
    total = await (counts.get(key, count, topics=(PROPOSALS,)) if counts is not None else count())
    if position is not None:
        older, moment, last_id = position
        beyond = "<" if older else ">"
        seek = WhereRaw(f'("proposal"."created_at", "proposal"."id") {beyond} ({{}}, {{}})', moment, last_id)
        ids = _ids([*where, seek], newest_first=older).limit(per_page + 1)
        number = None
    elif page > 1 and (page - 1) * per_page >= total / 2:
        # In the second half: sought from the oldest, so that the last page costs what the first does.
        end = max(0, total - page * per_page)
        ids = _ids(where, newest_first=False).limit(max(0, total - (page - 1) * per_page - end)).offset(end)
        number = page
    else:
        ids = _ids(where, newest_first=True).limit(per_page).offset((page - 1) * per_page)
        number = page
    # The page's ids first, then their rows with what they join: no join for the rows skipped.
    query = P.select(*_SUMMARY_COLUMNS).where(P.id.is_in(ids))
    rows = await query.order_by(P.created_at, P.id, ascending=False)
    has_newer, has_older = page > 1, page * per_page < total
    if position is not None:
        more = len(rows) > per_page
        if older:
            rows, has_older, has_newer = rows[:per_page], more, True
        else:
            rows, has_newer, has_older = rows[len(rows) - per_page :] if more else rows, more, True
    current = await current_revisions(
        {(r["framework"], r["indicator_code"]) for r in rows if _nationally_undecided(r)}
    )
    items = [ProposalSummary(**_common(row, is_stale(row, current))) for row in rows]
    return Page(
        items=items,
        total=total,
        page=number,
        per_page=per_page,
        next_cursor=_cursor(True, rows[-1]) if rows and has_older else None,
        previous_cursor=_cursor(False, rows[0]) if rows and has_newer else None,
    )


def _filters(
    framework_slug: str | None, status: str | None, theme: str | None, adaptation: int | None
) -> list[Combinable]:
    """Conditions on the proposal's own columns (no join), so that an index on them, then on
    (created_at, id), finds and orders the rows: the framework and the theme by their ids, read once
    per query (a scalar subquery)."""
    where: list[Combinable] = []
    if framework_slug is not None and theme is None:  # a theme is a framework's
        framework = '"proposal"."framework" = (SELECT id FROM framework WHERE slug = {})'
        where.append(WhereRaw(framework, framework_slug))
    if status is not None:
        where.append(P.status == status)
    if theme is not None and framework_slug is not None:
        where.append(
            WhereRaw(
                '"proposal"."theme" = (SELECT id FROM theme'
                " WHERE framework = (SELECT id FROM framework WHERE slug = {}) AND code = {})",
                framework_slug,
                theme,
            )
        )
    elif theme is not None:
        where.append(WhereRaw('"proposal"."theme" IN (SELECT id FROM theme WHERE code = {})', theme))
    if adaptation is not None:
        where.append(P.adaptation == adaptation)
    return where


def _ids(where: list[Combinable], newest_first: bool) -> Select:
    query = P.select(P.id).order_by(P.created_at, P.id, ascending=not newest_first)
    return query.where(*where) if where else query


def _cursor(older: bool, row: dict) -> str:
    """Where a page ends, as the list's next (older) or previous (newer) page starts after it."""
    text = f"{'o' if older else 'n'}{row['created_at'].isoformat()}|{row['id']}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def read_cursor(text: str) -> tuple[bool, datetime, int]:
    """(older, created_at, id) from a cursor this list gave; anything else is refused."""
    try:
        decoded = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True).decode()
        direction, moment, number = decoded[0], *decoded[1:].split("|")
        created_at, proposal_id = datetime.fromisoformat(moment), int(number)
    except (ValueError, IndexError, TypeError, UnicodeDecodeError, binascii.Error):
        created_at, proposal_id, direction = None, 0, ""
    if direction not in ("o", "n") or created_at is None or created_at.tzinfo is None:
        proposal_id = 0
    if not 1 <= proposal_id <= LARGEST_ID:
        raise InvalidInput("This cursor is not one the list gave: start again from the first page.", "cursor")
    return direction == "o", created_at, proposal_id
