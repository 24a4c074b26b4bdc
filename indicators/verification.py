"""Anyone can check that a release is the one that was published: recompute its content hash."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from indicators.content import content_hash
from indicators.queries import entry_rows_by_release, group_into_themes, list_frameworks, list_releases


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
    """One check per release of every framework, oldest first; three queries per framework."""
    for framework, _current in await list_frameworks():
        entries = await entry_rows_by_release(framework)
        for release in reversed(await list_releases(framework)):
            themes = group_into_themes(entries.get(release.id, []))
            computed = content_hash(framework.slug, release.version, release.summary, themes)
            yield HashCheck(framework.slug, release.version, release.content_hash, computed)
