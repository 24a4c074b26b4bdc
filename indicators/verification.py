"""Anyone can check that a release, or a version of a local adaptation, is the one that was published:
recompute its content hash."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from indicators.adaptation_content import adaptation_hash
from indicators.adaptation_queries import changes_of
from indicators.content import content_hash
from indicators.queries import entry_rows_by_release, group_into_themes, list_frameworks, list_releases
from indicators.tables import Adaptation, AdaptationVersion


@dataclass(frozen=True)
class HashCheck:
    framework: str
    version: str
    stored: str
    computed: str

    @property
    def ok(self) -> bool:
        return self.stored == self.computed


async def check_release_hashes() -> AsyncIterator[HashCheck]:
    """One check per release of every framework, oldest first; four queries per framework."""
    for framework, _current in await list_frameworks():
        entries = await entry_rows_by_release(framework)
        for release in reversed(await list_releases(framework)):
            themes = group_into_themes(entries.get(release.id, []))
            computed = content_hash(framework.slug, release.version, release.summary, themes)
            yield HashCheck(framework.slug, release.version, release.content_hash, computed)


@dataclass(frozen=True)
class AdaptationHashCheck:
    adaptation: int
    version: int
    stored: str
    computed: str

    @property
    def ok(self) -> bool:
        return self.stored == self.computed


async def check_adaptation_hashes() -> list[AdaptationHashCheck]:
    """One check per published version of every adaptation, by adaptation then version; four queries."""
    adaptations = {
        row["id"]: row
        for row in await Adaptation.select(
            *Adaptation.all_columns(), Adaptation.framework.slug.as_alias("slug")
        )
    }
    versions = await AdaptationVersion.select(
        *AdaptationVersion.all_columns(),
        AdaptationVersion.base_release.version.as_alias("base_version"),
        AdaptationVersion.base_release.content_hash.as_alias("base_hash"),
    ).order_by(AdaptationVersion.adaptation, AdaptationVersion.number)
    changes = await changes_of([version["id"] for version in versions])
    checks = []
    for version in versions:
        row = adaptations[version["adaptation"]]
        computed = adaptation_hash(
            row["slug"],
            row["id"],
            row["name"],
            row["region"],
            row["department"],
            version["number"],
            version["base_version"],
            version["base_hash"],
            changes[version["id"]],
        )
        checks.append(AdaptationHashCheck(row["id"], version["number"], version["content_hash"], computed))
    return checks
