"""Reading local adaptations: each as it stands in its latest version, beside the national texts it
differs from and what the national framework changed since.

`views` runs a fixed number of queries (six) for any number of adaptations.
"""

from __future__ import annotations

from indicators.adaptation_content import (
    ADDED,
    AdaptationChangeView,
    AdaptationView,
    LocalChange,
    stored_change,
    text_diff,
)
from indicators.content import TEXT_FIELDS, IndicatorText
from indicators.queries import get_framework
from indicators.tables import Adaptation, AdaptationChange, AdaptationVersion, ReleaseEntry
from indicators.tables import Release as ReleaseRow
from places import france
from web.failures import NotFound

_ORDER = (ReleaseRow.major, ReleaseRow.minor, ReleaseRow.patch)


def _adaptations():
    return Adaptation.select(
        Adaptation.id,
        Adaptation.framework,
        Adaptation.framework.slug.as_alias("slug"),
        Adaptation.name,
        Adaptation.region,
        Adaptation.department,
        Adaptation.working_group,
        Adaptation.base_release,
    ).order_by(Adaptation.id)


def territory_name(region: str, department: str) -> str:
    return france.department(department).name if department else france.region(region).name


async def get_adaptation(adaptation_id: int, version: int | None = None) -> AdaptationView:
    """The adaptation as its latest version says it, or as its version number `version` said it
    (what an assessment made against that version answers)."""
    rows = await _adaptations().where(Adaptation.id == adaptation_id)
    if not rows:
        raise NotFound("There is no adaptation number %(number)s.", number=adaptation_id)
    found = (await views(rows, version))[0]
    if version is not None and found.version != version:
        raise NotFound(
            "The adaptation number %(number)s has no version %(version)s.",
            number=adaptation_id,
            version=version,
        )
    return found


async def list_adaptations(framework_slug: str) -> list[AdaptationView]:
    """The adaptations of a framework, oldest first; NotFound for an unknown framework."""
    framework = await get_framework(framework_slug)
    return await views(await _adaptations().where(Adaptation.framework == framework.id))


async def adaptations_of_indicator(framework_slug: str, code: str) -> list[AdaptationView]:
    """The adaptations whose latest version declares this national indicator not applicable or
    rewords it."""
    return [
        view
        for view in await list_adaptations(framework_slug)
        if any(change.indicator == code and change.kind != ADDED for change in view.changes)
    ]


async def latest_versions(adaptation_ids: list[int], number: int | None = None) -> dict[int, dict]:
    """adaptation id -> its latest version's row (or its version `number`), for those that have one."""
    if not adaptation_ids:
        return {}
    which = AdaptationVersion.adaptation.is_in(adaptation_ids)
    if number is not None:
        which &= AdaptationVersion.number == number
    rows = await AdaptationVersion.select().where(which).order_by(AdaptationVersion.number)
    return {row["adaptation"]: row for row in rows}  # the last one wins: the latest


async def changes_of(version_ids: list[int]) -> dict[int, list[LocalChange]]:
    """version id -> its changes in reading order (as stored)."""
    if not version_ids:
        return {}
    rows = (
        await AdaptationChange.select()
        .where(AdaptationChange.version.is_in(version_ids))
        .order_by(AdaptationChange.position)
        .output(load_json=True)
    )
    by_version: dict[int, list[LocalChange]] = {version: [] for version in version_ids}
    for row in rows:
        by_version[row["version"]].append(stored_change(row))
    return by_version


async def _national_texts(
    release_ids: set[int], codes: set[str]
) -> dict[tuple[int, str], tuple[int, IndicatorText]]:
    """(release id, code) -> (revision number, text) of the given indicators in the given releases."""
    if not release_ids or not codes:
        return {}
    entry = ReleaseEntry
    rows = await entry.select(
        entry.release,
        entry.indicator.code.as_alias("code"),
        entry.revision.number.as_alias("number"),
        *(getattr(entry.revision, name).as_alias(name) for name in TEXT_FIELDS),
    ).where(entry.release.is_in(sorted(release_ids)) & entry.indicator.code.is_in(sorted(codes)))
    return {
        (row["release"], row["code"]): (row["number"], IndicatorText(**{n: row[n] for n in TEXT_FIELDS}))
        for row in rows
    }


async def views(rows: list[dict], number: int | None = None) -> list[AdaptationView]:
    """The views of these adaptation rows (as `_adaptations` selects them), in their order, as their
    latest versions (or their versions `number`) say them."""
    if not rows:
        return []
    latest = await latest_versions([row["id"] for row in rows], number)
    changes = await changes_of([version["id"] for version in latest.values()])
    releases = (
        await ReleaseRow.select(ReleaseRow.id, ReleaseRow.framework, ReleaseRow.version)
        .where(ReleaseRow.framework.is_in(sorted({row["framework"] for row in rows})))
        .order_by(*_ORDER)
    )
    version_of = {release["id"]: release["version"] for release in releases}
    current = {release["framework"]: release["id"] for release in releases}  # the last one wins
    national = {c.indicator for found in changes.values() for c in found if c.kind != ADDED}
    # A version keeps the base it adapted; an adaptation without one, the base it was made on.
    base_of = {
        row["id"]: latest[row["id"]]["base_release"] if row["id"] in latest else row["base_release"]
        for row in rows
    }
    wanted = set(base_of.values()) | set(current.values())
    texts = await _national_texts(wanted, national)
    result = []
    for row in rows:
        version = latest.get(row["id"])
        mine = changes.get(version["id"], []) if version else []
        base, now = base_of[row["id"]], current[row["framework"]]
        result.append(
            AdaptationView(
                id=row["id"],
                framework=row["slug"],
                name=row["name"],
                region=row["region"],
                department=row["department"],
                territory=territory_name(row["region"], row["department"]),
                working_group=row["working_group"],
                base_version=version_of[base],
                version=version["number"] if version else 0,
                content_hash=version["content_hash"] if version else None,
                published_at=version["published_at"] if version else None,
                changes=tuple(_change_view(change, texts.get((base, change.indicator))) for change in mine),
                upstream_changed=_upstream_changed(mine, texts, base, now),
            )
        )
    return result


def _upstream_changed(
    changes: list[LocalChange], texts: dict[tuple[int, str], tuple[int, IndicatorText]], base: int, now: int
) -> tuple[str, ...]:
    """The adapted national indicators whose revision in the current release (`now`) is not the one
    of the base release: revised since, or retired (in no revision at all)."""
    if base == now:
        return ()

    def revision(release: int, code: str) -> int | None:
        found = texts.get((release, code))
        return found[0] if found is not None else None

    return tuple(
        c.indicator
        for c in changes
        if c.kind != ADDED and revision(now, c.indicator) != revision(base, c.indicator)
    )


def _change_view(change: LocalChange, national: tuple[int, IndicatorText] | None) -> AdaptationChangeView:
    before = national[1] if national is not None and change.kind != ADDED else None
    return AdaptationChangeView(
        indicator=change.indicator,
        kind=change.kind,
        theme=change.theme,
        reason=change.reason,
        before=before,
        after=change.content,
        diff=text_diff(before, change.content),
    )
