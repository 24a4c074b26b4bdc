"""What a worker remembers of the framework between requests.

Published releases never change, so their content is kept for good. Which release is
current, and the framework's own fields, are trusted for a short time only: a release
published by another worker (or machine) shows up within `latest_ttl` seconds, and at
once in the worker that published it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from indicators.content import Release
from indicators.queries import (
    FrameworkInfo,
    ReleaseSummary,
    current_version,
    find_release,
    get_framework,
    load_release,
)
from indicators.versions import LATEST, parse_version
from web.failures import InvalidInput, NotFound

MAX_RELEASES = 512


class ReleaseCache:
    def __init__(self, latest_ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.latest_ttl = latest_ttl
        self.clock = clock
        self._frameworks: dict[str, tuple[float, FrameworkInfo, str]] = {}
        self._refreshing: set[str] = set()
        self._summaries: dict[tuple[str, str], ReleaseSummary] = {}
        self._releases: dict[tuple[str, str], Release] = {}

    async def framework(self, slug: str) -> tuple[FrameworkInfo, str]:
        """The framework and its current version."""
        cached = self._frameworks.get(slug)
        if cached is not None and (self.clock() - cached[0] < self.latest_ttl or slug in self._refreshing):
            # Fresh, or another request is refreshing it: no herd of identical queries.
            return cached[1], cached[2]
        self._refreshing.add(slug)
        try:
            framework = await get_framework(slug)
            current = await current_version(framework)
        finally:
            self._refreshing.discard(slug)
        self._frameworks[slug] = (self.clock(), framework, current)
        return framework, current

    def forget(self, slug: str | None) -> None:
        """Called after this worker publishes, so that it shows the new release at once (None: all)."""
        if slug is None:
            self._frameworks.clear()
        else:
            self._frameworks.pop(slug, None)

    async def resolve(self, slug: str, version: str) -> tuple[FrameworkInfo, ReleaseSummary, str]:
        """A release by number or 'latest', with the current version.

        Raises InvalidInput for a malformed number and NotFound for an unknown one.
        """
        framework, current = await self.framework(slug)
        try:
            key = (slug, current if version == LATEST else str(parse_version(version)))
        except InvalidInput as error:
            # In an address, a malformed number names nothing: 404, with the reason.
            raise NotFound(error.message) from None
        summary = self._summaries.get(key)
        if summary is None:
            summary = await find_release(framework, key[1])
            self._remember(self._summaries, key, summary)
        return framework, summary, current

    async def release(self, slug: str, version: str) -> tuple[FrameworkInfo, Release, str]:
        framework, summary, current = await self.resolve(slug, version)
        key = (slug, summary.version)
        release = self._releases.get(key)
        if release is None:
            release = await load_release(framework, summary)
            self._remember(self._releases, key, release)
        return framework, release, current

    @staticmethod
    def _remember(store: dict, key: tuple[str, str], value: object) -> None:
        if len(store) >= MAX_RELEASES:
            store.pop(next(iter(store)))
        store[key] = value
