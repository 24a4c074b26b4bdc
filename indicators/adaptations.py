"""Local adaptations (déclinaisons territoriales) of a framework: the use cases.

A territorial network adapts a national release for its region or department: indicators declared
not applicable (with a reason), reworded, or added locally. Each accepted change publishes a new,
numbered, hashed version (immutable, by trigger), pinned to the same national release until the
network adopts a later one. Who may do what (stewards, the network's working group) is the caller's
business: indicators knows nothing of accounts, groups or proposals.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from indicators.adaptation_content import (
    ADAPTATION_KINDS,
    ADDED,
    AdaptationChangeView,
    AdaptationView,
    LocalChange,
    adaptation_hash,
    in_reading_order,
    local_number,
)
from indicators.adaptation_queries import (
    adaptations_of_indicator,
    changes_of,
    get_adaptation,
    latest_versions,
    list_adaptations,
)
from indicators.adaptation_rules import apply_change, check_shape
from indicators.content import Release, ReleasedTheme
from indicators.queries import (
    ReleaseSummary,
    entry_rows,
    find_release,
    get_framework,
    group_into_themes,
)
from indicators.tables import Adaptation, AdaptationChange, AdaptationVersion
from indicators.tables import Release as ReleaseRow
from indicators.topics import ADAPTATIONS, adaptation_topic
from indicators.versions import parse_version
from places import france
from web.changes import announce
from web.database import lock_key
from web.failures import Conflict, InvalidInput, NotFound
from web.messages import Term
from web.text import describe, has_visible_character, refused_character

__all__ = [
    "ADAPTATION_KINDS",
    "AdaptationChangeView",
    "AdaptationView",
    "LocalChange",
    "adaptation_hash",
    "adaptations_of_indicator",
    "adopt_base",
    "create_adaptation",
    "get_adaptation",
    "list_adaptations",
    "publish_adaptation_change",
]

# The advisory lock's namespace on PostgreSQL (with the adaptation's id): one version at a time.
ADAPTATION_LOCK = 5
NAME_MAX = 200


def _clean_name(value: object) -> str:
    """A clean line of text, as every name people read (web/text.py): InvalidInput on "name"."""
    what = Term("adaptation's name")
    if not isinstance(value, str):
        raise InvalidInput("The %(what)s must be text.", "name", what=what)
    value = value.strip()
    hidden = refused_character(value, invisible=True)
    if hidden is not None:
        raise InvalidInput(
            "The %(what)s contains %(character)s, which is not allowed: remove it.",
            "name",
            what=what,
            character=describe(hidden),
        )
    if not value:
        raise InvalidInput("The %(what)s is empty: write at least one character.", "name", what=what)
    if not has_visible_character(value):
        raise InvalidInput("The %(what)s must show at least one letter, digit or sign.", "name", what=what)
    if len(value) > NAME_MAX:
        raise InvalidInput(
            "The %(what)s is too long: %(length)s characters where at most %(maximum)s are allowed.",
            "name",
            what=what,
            length=len(value),
            maximum=NAME_MAX,
        )
    return value


def _territory(region: str, department: str) -> tuple[str, str]:
    """(region, department) as INSEE writes them, exactly one of them given."""
    if bool(region) == bool(department):
        raise InvalidInput(
            "An adaptation is for one region or one department: give exactly one of them.", "department"
        )
    if region:
        return france.region(region).code, ""
    return "", france.department(department).code


async def create_adaptation(
    framework_slug: str,
    name: str,
    base_version: str,
    working_group: int,
    *,
    region: str = "",
    department: str = "",
) -> AdaptationView:
    """A new adaptation of the release `base_version` ('latest' allowed), kept by `working_group`,
    without any version yet (version 0)."""
    name = _clean_name(name)
    region, department = _territory(region, department)
    if isinstance(working_group, bool) or not isinstance(working_group, int) or working_group < 1:
        raise InvalidInput(
            "The %(what)s must be a positive whole number.", "working_group", what=Term("working group")
        )
    framework = await get_framework(framework_slug)
    release = await find_release(framework, base_version)
    async with Adaptation._meta.db.transaction():
        row = Adaptation(
            framework=framework.id,
            name=name,
            region=region,
            department=department,
            working_group=working_group,
            base_release=release.id,
            created_at=datetime.now(UTC),
        )
        await Adaptation.insert(row)
        await announce(ADAPTATIONS, adaptation_topic(row.id))
    return await get_adaptation(row.id)


async def publish_adaptation_change(
    adaptation_id: int, change: LocalChange, *, proposal_id: int | None, summary: str
) -> AdaptationView:
    """Publish version n+1: the changes of version n with `change` applied, on the same base release.
    In the caller's transaction if there is one (a decision publishes with its own writes)."""
    check_shape(change)
    async with Adaptation._meta.db.transaction():
        await lock_key(ADAPTATION_LOCK, adaptation_id)
        row, number, current = await _latest(adaptation_id)
        base, release = await _base(row["base_release"], row["slug"])
        changes = apply_change(current, change, release, await _local_numbers(adaptation_id))
        await _write_version(row, number + 1, base, changes, release.themes, summary, proposal_id)
        return await get_adaptation(adaptation_id)


async def adopt_base(adaptation_id: int, version: str, *, proposal_id: int | None) -> AdaptationView:
    """Publish version n+1 pinned to a later national release: the changes carried over, except
    those about national indicators that release retired."""
    async with Adaptation._meta.db.transaction():
        await lock_key(ADAPTATION_LOCK, adaptation_id)
        row, number, current = await _latest(adaptation_id)
        old, _old_release = await _base(row["base_release"], row["slug"])
        new = await find_release(await get_framework(row["slug"]), version)
        if parse_version(new.version) <= parse_version(old.version):
            raise Conflict(
                "This adaptation adapts release %(current)s: it can only move to a later release, "
                "not %(version)s.",
                current=old.version,
                version=new.version,
            )
        base, release = await _base(new.id, row["slug"])
        national = {code: theme.code for code, (theme, _indicator) in release.indicators().items()}
        carried = [
            c
            if c.kind == ADDED
            else LocalChange(c.indicator, c.kind, c.reason, national[c.indicator], c.content)
            for c in current
            if c.kind == ADDED or c.indicator in national
        ]
        summary = f"{old.version} → {new.version}"
        await _write_version(row, number + 1, base, carried, release.themes, summary, proposal_id)
        await Adaptation.update({Adaptation.base_release: new.id}).where(Adaptation.id == adaptation_id)
        return await get_adaptation(adaptation_id)


async def _latest(adaptation_id: int) -> tuple[dict, int, list[LocalChange]]:
    """The adaptation's row (with its framework's slug), its latest version number, its changes."""
    row = (
        await Adaptation.select(*Adaptation.all_columns(), Adaptation.framework.slug.as_alias("slug"))
        .where(Adaptation.id == adaptation_id)
        .first()
    )
    if row is None:
        raise NotFound("There is no adaptation number %(number)s.", number=adaptation_id)
    version = (await latest_versions([adaptation_id])).get(adaptation_id)
    if version is None:
        return row, 0, []
    return row, version["number"], (await changes_of([version["id"]]))[version["id"]]


async def _base(release_id: int, slug: str) -> tuple[ReleaseSummary, Release]:
    summary = (
        await ReleaseRow.select(
            ReleaseRow.id,
            ReleaseRow.version,
            ReleaseRow.summary,
            ReleaseRow.summary_en,
            ReleaseRow.published_at,
            ReleaseRow.content_hash,
            ReleaseRow.proposal_id,
        )
        .where(ReleaseRow.id == release_id)
        .first()
    )
    summary = ReleaseSummary(**summary)
    themes = group_into_themes(await entry_rows(release_id))
    return summary, Release(
        slug, summary.version, "", None, summary.published_at, summary.content_hash, None, themes
    )


async def _local_numbers(adaptation_id: int) -> dict[str, int]:
    """theme -> the highest local number it ever used in any version: local codes are never reused."""
    rows = await AdaptationChange.select(AdaptationChange.indicator_code, AdaptationChange.theme_code).where(
        (AdaptationChange.version.adaptation == adaptation_id) & (AdaptationChange.kind == ADDED)
    )
    highest: dict[str, int] = {}
    for row in rows:
        number = local_number(row["theme_code"], row["indicator_code"]) or 0
        highest[row["theme_code"]] = max(highest.get(row["theme_code"], 0), number)
    return highest


async def _write_version(
    row: dict,
    number: int,
    base: ReleaseSummary,
    changes: list[LocalChange],
    themes: tuple[ReleasedTheme, ...],
    summary: str,
    proposal_id: int | None,
) -> None:
    content_hash = adaptation_hash(
        row["slug"],
        row["id"],
        row["name"],
        row["region"],
        row["department"],
        number,
        base.version,
        base.content_hash,
        changes,
    )
    version = AdaptationVersion(
        adaptation=row["id"],
        number=number,
        base_release=base.id,
        summary=summary,
        content_hash=content_hash,
        proposal_id=proposal_id,
        published_at=datetime.now(UTC),
    )
    await AdaptationVersion.insert(version)
    ordered = in_reading_order(changes, themes)
    if ordered:
        await AdaptationChange.insert(
            *(
                AdaptationChange(
                    version=version.id,
                    indicator_code=c.indicator,
                    kind=c.kind,
                    theme_code=c.theme,
                    reason=c.reason,
                    content=asdict(c.content) if c.content is not None else None,
                    position=position,
                )
                for position, c in enumerate(ordered, start=1)
            )
        )
    await announce(ADAPTATIONS, adaptation_topic(row["id"]))
