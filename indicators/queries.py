"""Reading the framework: frameworks, releases, their content and indicator histories.

Each function runs a fixed number of queries, whatever the number of rows.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from indicators.content import TEXT_FIELDS, IndicatorText, Release, ReleasedIndicator, ReleasedTheme
from indicators.tables import Framework, Indicator, IndicatorRevision, ReleaseEntry, Theme
from indicators.tables import Release as ReleaseRow
from indicators.versions import LATEST, parse_version
from web.failures import NotFound


@dataclass(frozen=True)
class FrameworkInfo:
    id: int
    slug: str
    language: str
    title: str
    title_en: str | None
    description: str
    description_en: str | None
    revision_policy: str
    evidence_levels: list[dict]
    bibliography: list[dict]


@dataclass(frozen=True)
class ReleaseSummary:
    id: int
    version: str
    summary: str
    summary_en: str | None
    published_at: datetime
    content_hash: str
    proposal_id: int | None


@dataclass(frozen=True)
class RevisionHistoryItem:
    number: int
    text: IndicatorText
    created_at: datetime
    proposal_id: int | None
    first_release: str | None


_ORDER = (ReleaseRow.major, ReleaseRow.minor, ReleaseRow.patch)
_SUMMARY_COLUMNS = (
    ReleaseRow.id,
    ReleaseRow.version,
    ReleaseRow.summary,
    ReleaseRow.summary_en,
    ReleaseRow.published_at,
    ReleaseRow.content_hash,
    ReleaseRow.proposal_id,
)


def _text(row: Mapping) -> IndicatorText:
    return IndicatorText(**{name: row[name] for name in TEXT_FIELDS})


async def get_framework(slug: str) -> FrameworkInfo:
    row = await Framework.select().where(Framework.slug == slug).output(load_json=True).first()
    if row is None:
        raise NotFound("There is no framework called %(slug)r.", slug=slug)
    del row["created_at"]
    return FrameworkInfo(**row)


async def list_frameworks() -> list[tuple[FrameworkInfo, str | None]]:
    """Every framework with its current version, in one query each."""
    frameworks = await Framework.select().order_by(Framework.slug).output(load_json=True)
    releases = await ReleaseRow.select(ReleaseRow.framework, ReleaseRow.version).order_by(*_ORDER)
    current = {row["framework"]: row["version"] for row in releases}  # last one wins: the newest
    result = []
    for row in frameworks:
        del row["created_at"]
        result.append((FrameworkInfo(**row), current.get(row["id"])))
    return result


async def list_releases(framework: FrameworkInfo) -> list[ReleaseSummary]:
    """Releases of a framework, newest first."""
    rows = (
        await ReleaseRow.select(*_SUMMARY_COLUMNS)
        .where(ReleaseRow.framework == framework.id)
        .order_by(*_ORDER, ascending=False)
    )
    return [ReleaseSummary(**row) for row in rows]


@dataclass(frozen=True)
class PublishedRelease:
    framework: str
    version: str
    codes: tuple[str, ...]  # its indicators', in reading order


async def published_releases() -> list[PublishedRelease]:
    """Every release of every framework, by framework slug then oldest first, with the codes of its
    indicators: two queries, whatever the number of releases."""
    releases = await ReleaseRow.select(
        ReleaseRow.id, ReleaseRow.framework.slug.as_alias("slug"), ReleaseRow.version
    ).order_by(ReleaseRow.framework.slug, *_ORDER)
    entry = ReleaseEntry
    entries = await entry.select(entry.release, entry.indicator.code.as_alias("code")).order_by(
        entry.theme.position, entry.position
    )
    codes: dict[int, list[str]] = {}
    for row in entries:
        codes.setdefault(row["release"], []).append(row["code"])
    return [
        PublishedRelease(row["slug"], row["version"], tuple(codes.get(row["id"], ()))) for row in releases
    ]


async def current_version(framework: FrameworkInfo) -> str:
    row = (
        await ReleaseRow.select(ReleaseRow.version)
        .where(ReleaseRow.framework == framework.id)
        .order_by(*_ORDER, ascending=False)
        .first()
    )
    if row is None:
        raise NotFound("The framework %(slug)r has no published release yet.", slug=framework.slug)
    return row["version"]


async def find_release(framework: FrameworkInfo, version: str) -> ReleaseSummary:
    """A release by number or 'latest'; InvalidInput for a malformed number, NotFound for an unknown one."""
    if version == LATEST:
        version = await current_version(framework)
    else:
        version = str(parse_version(version))
    row = (
        await ReleaseRow.select(*_SUMMARY_COLUMNS)
        .where((ReleaseRow.framework == framework.id) & (ReleaseRow.version == version))
        .first()
    )
    if row is None:
        raise NotFound(
            "The framework %(slug)r has no release %(version)s.", slug=framework.slug, version=version
        )
    return ReleaseSummary(**row)


async def load_release(framework: FrameworkInfo, summary: ReleaseSummary) -> Release:
    rows = await entry_rows(summary.id)
    return Release(
        framework=framework.slug,
        version=summary.version,
        summary=summary.summary,
        summary_en=summary.summary_en,
        published_at=summary.published_at,
        content_hash=summary.content_hash,
        proposal_id=summary.proposal_id,
        themes=group_into_themes(rows),
    )


async def entry_rows(release_id: int) -> list[dict]:
    """The entries of a release, each with its theme and revision, in reading order."""
    return await _entries_query().where(ReleaseEntry.release == release_id)


async def entry_rows_by_release(framework: FrameworkInfo) -> dict[int, list[Mapping]]:
    """The entries of every release of a framework, by release id, in reading order, each with what
    group_into_themes reads of it, in three queries. Each revision's text and each theme are read
    once and shared by the entries holding them: a hundred releases of a thousand indicators hold
    about 1,100 revisions, not 100,000 (`referentiel verify` kept 350 MB of copies)."""
    themes = {
        row["id"]: {f"theme_{name}": value for name, value in row.items()}
        for row in await list_themes(framework)
    }
    revision = IndicatorRevision
    revisions = {
        row.pop("id"): row
        for row in await revision.select(
            revision.id,
            revision.indicator.code.as_alias("code"),
            revision.number.as_alias("revision"),
            revision.created_at.as_alias("revised_at"),
            *(getattr(revision, name) for name in TEXT_FIELDS),
        ).where(revision.indicator.framework == framework.id)
    }
    entry = ReleaseEntry
    entries = (
        await entry.select(entry.release, entry.revision, entry.theme)
        .where(entry.release.framework == framework.id)
        .order_by(entry.theme.position, entry.position)
    )
    by_release: dict[int, list[Mapping]] = {}
    for row in entries:
        shared = ChainMap(revisions[row["revision"]], themes[row["theme"]])
        by_release.setdefault(row["release"], []).append(shared)
    return by_release


def _entries_query():
    entry = ReleaseEntry
    return entry.select(
        entry.release.as_alias("release_id"),
        entry.theme.as_alias("theme_id"),
        entry.indicator.as_alias("indicator_id"),
        entry.revision.as_alias("revision_id"),
        entry.position,
        entry.indicator.code.as_alias("code"),
        entry.revision.number.as_alias("revision"),
        entry.revision.created_at.as_alias("revised_at"),
        *(getattr(entry.revision, name).as_alias(name) for name in TEXT_FIELDS),
        *(
            getattr(entry.theme, name).as_alias(f"theme_{name}")
            for name in ("code", "title", "title_en", "description", "description_en", "position")
        ),
    ).order_by(entry.theme.position, entry.position)


def group_into_themes(rows: Sequence[Mapping]) -> tuple[ReleasedTheme, ...]:
    """Rows ordered by theme then position -> themes holding their indicators."""
    themes: list[ReleasedTheme] = []
    indicators: dict[str, list[ReleasedIndicator]] = {}
    for row in rows:
        code = row["theme_code"]
        if code not in indicators:
            indicators[code] = []
            themes.append(
                ReleasedTheme(
                    code=code,
                    title=row["theme_title"],
                    title_en=row["theme_title_en"],
                    description=row["theme_description"],
                    description_en=row["theme_description_en"],
                    indicators=(),
                )
            )
        indicators[code].append(
            ReleasedIndicator(
                code=row["code"],
                revision=row["revision"],
                text=_text(row),
                revised_at=row["revised_at"],
            )
        )
    return tuple(
        ReleasedTheme(**{**theme.__dict__, "indicators": tuple(indicators[theme.code])}) for theme in themes
    )


async def indicator_history(framework: FrameworkInfo, code: str) -> list[RevisionHistoryItem]:
    """Every revision of one indicator, oldest first, with the release that first carried it."""
    indicator = (
        await Indicator.select(Indicator.id)
        .where((Indicator.framework == framework.id) & (Indicator.code == code))
        .first()
    )
    if indicator is None:
        raise NotFound("The framework %(slug)r has no indicator %(code)r.", slug=framework.slug, code=code)
    revisions = (
        await IndicatorRevision.select()
        .where(IndicatorRevision.indicator == indicator["id"])
        .order_by(IndicatorRevision.number)
    )
    entry = ReleaseEntry
    appearances = (
        await entry.select(entry.revision, entry.release.version.as_alias("version"))
        .where(entry.indicator == indicator["id"])
        .order_by(entry.release.major, entry.release.minor, entry.release.patch, ascending=False)
    )
    first_release = {row["revision"]: row["version"] for row in appearances}  # oldest wins
    return [
        RevisionHistoryItem(
            number=row["number"],
            text=_text(row),
            created_at=row["created_at"],
            proposal_id=row["proposal_id"],
            first_release=first_release.get(row["id"]),
        )
        for row in revisions
    ]


async def list_themes(framework: FrameworkInfo) -> list[dict]:
    return await Theme.select().where(Theme.framework == framework.id).order_by(Theme.position)


async def all_theme_codes() -> list[str]:
    """The codes of the themes of every framework, sorted."""
    return sorted({row["code"] for row in await Theme.select(Theme.code)})


async def texts_in_release(release_id: int, codes: list[str]) -> dict[str, tuple[int, int, IndicatorText]]:
    """code -> (revision number, theme id, text) of the given indicators in one release."""
    if not codes:
        return {}
    entry = ReleaseEntry
    rows = await entry.select(
        entry.indicator.code.as_alias("code"),
        entry.revision.number.as_alias("number"),
        entry.theme.as_alias("theme_id"),
        *(getattr(entry.revision, name).as_alias(name) for name in TEXT_FIELDS),
    ).where((entry.release == release_id) & entry.indicator.code.is_in(codes))
    return {row["code"]: (row["number"], row["theme_id"], _text(row)) for row in rows}


async def current_revisions(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """(framework id, indicator code) -> revision number in the framework's current release,
    for those of `pairs` still in it. Two queries."""
    if not pairs:
        return {}
    releases = (
        await ReleaseRow.select(ReleaseRow.id, ReleaseRow.framework)
        .where(ReleaseRow.framework.is_in(sorted({framework for framework, _ in pairs})))
        .order_by(ReleaseRow.major, ReleaseRow.minor, ReleaseRow.patch)
    )
    latest = {row["framework"]: row["id"] for row in releases}  # the last one wins: the newest
    framework_of = {release: framework for framework, release in latest.items()}
    entry = ReleaseEntry
    rows = await entry.select(
        entry.release, entry.indicator.code.as_alias("code"), entry.revision.number.as_alias("number")
    ).where(
        entry.release.is_in(list(framework_of)) & entry.indicator.code.is_in(sorted({c for _, c in pairs}))
    )
    found = {(framework_of[row["release"]], row["code"]): row["number"] for row in rows}
    return {pair: number for pair, number in found.items() if pair in pairs}
