"""Publishing a release: the only way the framework changes.

One transaction reads the current release, applies the changes, numbers the new
release and writes it with its content hash. On PostgreSQL an advisory lock per
framework serialises publications; on SQLite the IMMEDIATE transaction does.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from indicators.versions import Bump, Version, parse_version
from web.failures import Conflict, InvalidInput, NotFound


class ChangeKind(StrEnum):
    add = "add"
    amend = "amend"
    retire = "retire"


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    code: str
    text: IndicatorText | None = None
    # add: the theme to add to; amend: a theme to move the indicator to, if any.
    theme: str | None = None


async def publish_release(
    slug: str,
    changes: list[Change],
    bump: Bump,
    summary: str,
    summary_en: str | None = None,
    proposal_id: int | None = None,
) -> ReleaseSummary:
    engine = ReleaseRow._meta.db
    async with engine.transaction():
        framework = await get_framework(slug)
        if engine.engine_type == "postgres":
            await ReleaseRow.raw("SELECT pg_advisory_xact_lock({})", framework.id)
        latest = await _latest(framework)
        rows = await entry_rows(latest.id) if latest else []
        now = datetime.now(UTC)
        rows = await _apply(framework, rows, changes, now)
        previous = parse_version(latest.version) if latest else Version(0, 0, 0)
        version = previous.bump(bump)
        digest = content_hash(slug, str(version), summary, group_into_themes(rows))
        await _write_revisions(rows, proposal_id, now)
        release = ReleaseRow(
            framework=framework.id,
            version=str(version),
            major=version.major,
            minor=version.minor,
            patch=version.patch,
            summary=summary,
            summary_en=summary_en,
            content_hash=digest,
            proposal_id=proposal_id,
            published_at=now,
        )
        await ReleaseRow.insert(release)
        await ReleaseEntry.insert(
            *(
                ReleaseEntry(
                    release=release.id,
                    indicator=row["indicator_id"],
                    revision=row["revision_id"],
                    theme=row["theme_id"],
                    position=row["position"],
                )
                for row in rows
            )
        )
    return ReleaseSummary(
        id=release.id,
        version=str(version),
        summary=summary,
        summary_en=summary_en,
        published_at=now,
        content_hash=digest,
        proposal_id=proposal_id,
    )


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
    await _check_changes(framework, current, themes, changes)
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
            revision_id=None, revised_at=now, **{name: getattr(change.text, name) for name in TEXT_FIELDS}
        )
        current[change.code] = row
    return sorted(current.values(), key=lambda r: (r["theme_position"], r["position"]))


async def _check_changes(
    framework: FrameworkInfo, current: dict[str, dict], themes: dict[str, dict], changes: list[Change]
) -> None:
    codes = [change.code for change in changes]
    if len(set(codes)) != len(codes):
        raise Conflict("One release cannot change the same indicator twice.")
    for change in changes:
        if change.kind is not ChangeKind.add and change.code not in current:
            raise NotFound("The indicator %(code)r is not in the current release.", code=change.code)
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
            proposal_id=proposal_id,
            created_at=now,
            **{name: row[name] for name in TEXT_FIELDS},
        )
        for row in pending
    ]
    if revisions:
        await IndicatorRevision.insert(*revisions)
    for row, revision in zip(pending, revisions, strict=False):
        row["revision_id"] = revision.id
