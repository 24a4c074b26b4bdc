"""Publishing a release: the only way the framework changes.

`publish_release` is the one function everything that changes the framework goes through (the
starter content, accepted proposals). In one transaction it takes the framework's publication lock
(PostgreSQL: an advisory lock per framework; SQLite: the IMMEDIATE transaction), refuses a change
written against a revision that is no longer current, gives new indicators their codes, numbers the
new release and writes it with its content hash.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from piccolo.query.functions.aggregate import Max

from indicators.content import EVIDENCE_LEVELS, TEXT_FIELDS, IndicatorText, content_hash
from indicators.queries import (
    FrameworkInfo,
    ReleaseSummary,
    entry_rows,
    find_release,
    get_framework,
    group_into_themes,
    list_themes,
)
from indicators.tables import Indicator, IndicatorRevision, ReleaseEntry
from indicators.tables import Release as ReleaseRow
from indicators.topics import release_topic
from indicators.versions import Bump, Version, parse_version
from web.changes import announce
from web.database import lock_key
from web.failures import Conflict, InvalidInput, NotFound

# The advisory lock's namespace on PostgreSQL (with the framework's id): one publication at a time.
PUBLICATION_LOCK = 1


class ChangeKind(StrEnum):
    add = "add"
    amend = "amend"
    retire = "retire"


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    # add: None gives the next free code of the theme (<THEME>-<n>); a code never used may be given.
    code: str | None
    text: IndicatorText | None = None
    # add: the theme to add to; amend: a theme to move the indicator to, if any.
    theme: str | None = None
    # amend, retire: the revision of the indicator the change was written against, if any. A change
    # whose indicator was revised since is refused (StaleChange): it would undo that revision.
    base_revision: int | None = None
    # The proposal that made this change, when a release publishes several (else the release's own).
    proposal_id: int | None = None


class StaleChange(Conflict):
    """The indicator changed since the change to it was written."""


async def publish_release(
    slug: str,
    changes: list[Change],
    bump: Bump,
    summary: str,
    summary_en: str | None = None,
    proposal_id: int | None = None,
) -> ReleaseSummary:
    """Publish `changes` to the framework `slug` as one new release, in the caller's transaction if
    there is one (a decision publishes with its own writes, all or nothing)."""
    engine = ReleaseRow._meta.db
    async with engine.transaction():
        framework = await get_framework(slug)
        await lock_key(PUBLICATION_LOCK, framework.id)
        latest = await _latest(framework)
        now = datetime.now(UTC)
        previous = await entry_rows(latest.id) if latest else []
        rows = await _apply(framework, previous, changes, now)
        version = (parse_version(latest.version) if latest else Version(0, 0, 0)).bump(bump)
        await _write_revisions(rows, proposal_id, now)
        release = ReleaseSummary(
            id=0,
            version=str(version),
            summary=summary,
            summary_en=summary_en,
            published_at=now,
            content_hash=content_hash(slug, str(version), summary, group_into_themes(rows)),
            proposal_id=proposal_id,
        )
        release = await _write_release(framework, release, rows, previous)
        await announce(release_topic(slug))
    return release


async def _latest(framework: FrameworkInfo) -> ReleaseSummary | None:
    try:
        return await find_release(framework, "latest")
    except NotFound:
        return None


def _theme_fields(theme: dict) -> dict:
    return {"theme_id": theme["id"], **{f"theme_{k}": v for k, v in theme.items() if k != "id"}}


async def _apply(
    framework: FrameworkInfo, rows: list[dict], changes: list[Change], now: datetime
) -> list[dict]:
    """The entries of the new release: rows of the current one with the changes applied."""
    themes = {theme["code"]: theme for theme in await list_themes(framework)}
    current = {row["code"]: row for row in rows}
    _check_changes(framework, current, themes, changes)
    changes = await _with_codes(framework, changes)
    new_ids = await _create_indicators(framework, [c.code for c in changes if c.kind is ChangeKind.add], now)
    next_numbers = await _next_revision_numbers(
        [current[c.code]["indicator_id"] for c in changes if c.kind is ChangeKind.amend]
    )
    for change in changes:
        if change.kind is ChangeKind.retire:
            del current[change.code]
            continue
        if change.kind is ChangeKind.add:
            row = {"indicator_id": new_ids[change.code], "code": change.code, "revision": 1}
        else:
            row = dict(current[change.code])
            row["revision"] = next_numbers[row["indicator_id"]]
        theme = themes[change.theme] if change.theme else None
        if theme is not None and theme["id"] != row.get("theme_id"):
            row.update(_theme_fields(theme))
            row["position"] = 1 + max(
                (r["position"] for r in current.values() if r["theme_id"] == theme["id"]), default=0
            )
        row.update(
            revision_id=None,
            revised_at=now,
            change_proposal=change.proposal_id,
            **{name: getattr(change.text, name) for name in TEXT_FIELDS},
        )
        current[change.code] = row
    return sorted(current.values(), key=lambda r: (r["theme_position"], r["position"]))


def _check_changes(
    framework: FrameworkInfo, current: dict[str, dict], themes: dict[str, dict], changes: list[Change]
) -> None:
    codes = [change.code for change in changes if change.code is not None]
    if len(set(codes)) != len(codes):
        raise Conflict("One release cannot change the same indicator twice.")
    for change in changes:
        _check_change(framework, current, themes, change)


def _check_change(
    framework: FrameworkInfo, current: dict[str, dict], themes: dict[str, dict], change: Change
) -> None:
    if change.kind is not ChangeKind.add:
        if change.code not in current:
            raise NotFound("The indicator %(code)r is not in the current release.", code=change.code)
        if change.base_revision is not None and current[change.code]["revision"] != change.base_revision:
            raise StaleChange(
                "The indicator changed since this proposal was written: "
                "its author must update it against the current text."
            )
    if change.kind is not ChangeKind.retire and change.text is None:
        raise Conflict("The change to %(code)r has no text.", code=change.code)
    if change.text is not None and change.text.evidence_level not in EVIDENCE_LEVELS:
        raise InvalidInput(
            "Unknown evidence level %(level)r: use one of %(levels)s.",
            level=change.text.evidence_level,
            levels=", ".join(EVIDENCE_LEVELS),
        )
    if change.theme is not None and change.theme not in themes:
        raise NotFound(
            "The framework %(slug)r has no theme %(theme)r.", slug=framework.slug, theme=change.theme
        )
    if change.kind is ChangeKind.add and change.theme is None:
        raise Conflict("The new indicator %(code)r needs a theme.", code=change.code)


async def _with_codes(framework: FrameworkInfo, changes: list[Change]) -> list[Change]:
    """`changes` with a code for each addition that has none: <THEME>-<n>, n following the highest
    number ever used in the theme (codes are never reused, retired ones included)."""
    themes = sorted({c.theme for c in changes if c.kind is ChangeKind.add and c.code is None and c.theme})
    if not themes:
        return changes
    rows = await Indicator.select(Indicator.code).where(Indicator.framework == framework.id)
    highest = {}
    for theme in themes:
        pattern = re.compile(rf"{re.escape(theme)}-(\d+)")
        highest[theme] = max(
            (int(m.group(1)) for r in rows if (m := pattern.fullmatch(r["code"]))), default=0
        )
    coded = []
    for change in changes:
        if change.kind is ChangeKind.add and change.code is None and change.theme:
            highest[change.theme] += 1
            change = replace(change, code=f"{change.theme}-{highest[change.theme]}")
        coded.append(change)
    return coded


async def _create_indicators(framework: FrameworkInfo, codes: list[str], now: datetime) -> dict[str, int]:
    if not codes:
        return {}
    used = await Indicator.select(Indicator.code).where(
        (Indicator.framework == framework.id) & Indicator.code.is_in(codes)
    )
    if used:
        raise Conflict(
            "The code %(code)r is already taken: indicator codes are never reused.", code=used[0]["code"]
        )
    indicators = [Indicator(framework=framework.id, code=code, created_at=now) for code in codes]
    await Indicator.insert(*indicators)
    return {indicator.code: indicator.id for indicator in indicators}


async def _next_revision_numbers(indicator_ids: list[int]) -> dict[int, int]:
    if not indicator_ids:
        return {}
    rows = (
        await IndicatorRevision.select(IndicatorRevision.indicator, Max(IndicatorRevision.number))
        .where(IndicatorRevision.indicator.is_in(indicator_ids))
        .group_by(IndicatorRevision.indicator)
    )
    return {row["indicator"]: row["max"] + 1 for row in rows}


async def _write_revisions(rows: list[dict], proposal_id: int | None, now: datetime) -> None:
    pending = [row for row in rows if row["revision_id"] is None]
    revisions = [
        IndicatorRevision(
            indicator=row["indicator_id"],
            number=row["revision"],
            proposal_id=row["change_proposal"] or proposal_id,
            created_at=now,
            **{name: row[name] for name in TEXT_FIELDS},
        )
        for row in pending
    ]
    if revisions:
        await IndicatorRevision.insert(*revisions)
    for row, revision in zip(pending, revisions, strict=False):
        row["revision_id"] = revision.id


async def _write_release(
    framework: FrameworkInfo, release: ReleaseSummary, rows: list[dict], previous: list[dict]
) -> ReleaseSummary:
    """The release row and its entries (`previous`: the entries of the release before it); `release`
    again, with its id."""
    version = parse_version(release.version)
    row = ReleaseRow(
        framework=framework.id,
        major=version.major,
        minor=version.minor,
        patch=version.patch,
        **{name: value for name, value in asdict(release).items() if name != "id"},
    )
    await ReleaseRow.insert(row)
    await _write_entries(row.id, rows, previous)
    return replace(release, id=row.id)


# The entries a release keeps from the one before it, copied by the database in one statement:
# a release that amends one indicator of a thousand writes 999 entries without making them in Python.
COPY_ENTRIES = (
    "INSERT INTO release_entry (release, indicator, revision, theme, position) "
    "SELECT {}, indicator, revision, theme, position FROM release_entry WHERE release = {}"
)


async def _write_entries(release_id: int, rows: list[dict], previous: list[dict]) -> None:
    """The entries of the new release. Those of `previous` that `_apply` left as they were (the same
    row objects) are copied; the others (added, revised, moved) are written."""
    in_new = {id(row) for row in rows}
    left_out = [row["indicator_id"] for row in previous if id(row) not in in_new]  # revised or retired
    if len(left_out) < len(previous):
        excluded = f" AND indicator NOT IN ({', '.join('{}' for _ in left_out)})" if left_out else ""
        await ReleaseEntry.raw(COPY_ENTRIES + excluded, release_id, previous[0]["release_id"], *left_out)
    in_previous = {id(row) for row in previous}
    written = [row for row in rows if id(row) not in in_previous]
    if written:
        await ReleaseEntry.insert(
            *(
                ReleaseEntry(
                    release=release_id,
                    indicator=row["indicator_id"],
                    revision=row["revision_id"],
                    theme=row["theme_id"],
                    position=row["position"],
                )
                for row in written
            )
        )
