"""What a worker remembers of the framework between requests.

Published releases never change, so their content is kept for good (as long as the cache has room).
Which release is current is kept until a publication in the framework is announced (the topic
release_topic(slug)), in this worker at once and in the others as soon as they hear of it.
"""

from __future__ import annotations

from indicators.content import Release, release_size
from indicators.queries import (
    FrameworkInfo,
    ReleaseSummary,
    current_version,
    find_release,
    get_framework,
    load_release,
)
from indicators.topics import release_topic
from indicators.versions import LATEST, parse_version
from web.cache import Cache
from web.failures import InvalidInput, NotFound


class ReleaseCache:
    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    async def framework(self, slug: str) -> tuple[FrameworkInfo, str]:
        """The framework and its current version."""

        async def read() -> tuple[FrameworkInfo, str]:
            framework = await get_framework(slug)
            return framework, await current_version(framework)

        return await self.cache.get(("framework", slug), read, topics=(release_topic(slug),))

    async def resolve(self, slug: str, version: str) -> tuple[FrameworkInfo, ReleaseSummary, str]:
        """A release by number or 'latest', with the current version.

        Raises NotFound for an unknown or malformed number (in an address, it names nothing).
        """
        framework, current = await self.framework(slug)
        try:
            number = current if version == LATEST else str(parse_version(version))
        except InvalidInput as error:
            raise NotFound(error.message) from None
        summary = await self.cache.get(
            ("summary", slug, number), lambda: find_release(framework, number), ttl=None
        )
        return framework, summary, current

    async def release(self, slug: str, version: str) -> tuple[FrameworkInfo, Release, str]:
        framework, summary, current = await self.resolve(slug, version)
        release = await self.cache.get(
            ("release", slug, summary.version),
            lambda: load_release(framework, summary),
            ttl=None,
            size=release_size,
        )
        return framework, release, current
