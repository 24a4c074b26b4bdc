"""Self-assessments against a territory's adaptation: the release as that territory reads it.

An adaptation's version declares national indicators not applicable there (with why), rewords some
and adds local ones. The assessment answers the local texts; what is not applicable there is not
asked, and said with its reason. The field evidence stays per national indicator (field.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from indicators.adaptation_content import ADDED, NOT_APPLICABLE, REWORDED
from indicators.adaptations import AdaptationChangeView, get_adaptation
from indicators.content import Release, ReleasedIndicator, ReleasedTheme
from web.failures import Conflict, InvalidInput


@dataclass(frozen=True)
class LocalReading:
    adaptation: int
    name: str
    territory: str
    version: int
    content_hash: str | None
    not_applicable: tuple[tuple[str, str], ...]  # (national code, why), in the release's order


async def adaptation_to_assess(adaptation_id: object, framework_slug: str, version: str) -> tuple[int, str]:
    """The version number of the adaptation to assess, and the national release it adapts (`version`
    must name that release, or be 'latest')."""
    if isinstance(adaptation_id, bool) or not isinstance(adaptation_id, int) or adaptation_id < 1:
        raise InvalidInput("The adaptation must be given by its number.", "adaptation")
    view = await get_adaptation(adaptation_id)
    if view.framework != framework_slug:
        raise InvalidInput("The adaptation %(name)s adapts another framework.", "adaptation", name=view.name)
    if view.version == 0:
        raise Conflict("The adaptation %(name)s has no published version yet.", name=view.name)
    if version not in ("latest", view.base_version):
        raise Conflict(
            "The adaptation %(name)s adapts release %(base)s: assess against that release.",
            name=view.name,
            base=view.base_version,
        )
    return view.version, view.base_version


async def local_reading(release: Release, adaptation_id: int, number: int) -> tuple[Release, LocalReading]:
    """The release as the adaptation's version `number` reads it, and what it says of itself."""
    view = await get_adaptation(adaptation_id, version=number)
    reading = LocalReading(
        adaptation=view.id,
        name=view.name,
        territory=view.territory,
        version=view.version,
        content_hash=view.content_hash,
        not_applicable=tuple((c.indicator, c.reason) for c in view.changes if c.kind == NOT_APPLICABLE),
    )
    return local_release(release, view.changes, view.published_at or release.published_at), reading


def local_release(
    release: Release, changes: tuple[AdaptationChangeView, ...], published_at: datetime
) -> Release:
    """`release` with the local texts, without what is not applicable there, with the local additions
    at the end of their theme (revision 1: a local indicator has no national history)."""
    by_code = {c.indicator: c for c in changes}

    def theme(national: ReleasedTheme) -> ReleasedTheme:
        kept = []
        for indicator in national.indicators:
            change = by_code.get(indicator.code)
            if change is None:
                kept.append(indicator)
            elif change.kind == REWORDED and change.after is not None:
                kept.append(replace(indicator, text=change.after))
        added = [
            ReleasedIndicator(c.indicator, 1, c.after, published_at)
            for c in changes
            if c.kind == ADDED and c.theme == national.code and c.after is not None
        ]
        return replace(national, indicators=(*kept, *added))

    return replace(release, themes=tuple(theme(t) for t in release.themes))
