"""What a local adaptation says, and its content hash (as indicators/content.py for releases).

A version of an adaptation is a set of local changes pinned to one national release. Its hash covers
what it says (framework, adaptation, name, territory, version number, the base release's version and
content hash, and every change), not when or where it was stored: the same on both engines and after
a restore, so `referentiel verify` can recompute it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime

from indicators.compare import FieldChange
from indicators.content import TEXT_FIELDS, IndicatorText, ReleasedTheme
from indicators.worddiff import word_diff

ADAPTATION_KINDS = ("not_applicable", "reworded", "added")
NOT_APPLICABLE, REWORDED, ADDED = ADAPTATION_KINDS


@dataclass(frozen=True)
class LocalChange:
    indicator: (
        str  # a national code; for added, "" when proposed, its local code ("<THEME>-L<n>") once stored
    )
    kind: str  # one of ADAPTATION_KINDS
    reason: str  # why (a proposal's rationale)
    theme: str = ""  # added: the theme (of the base release) it belongs to
    content: IndicatorText | None = None  # reworded and added: the whole local text


@dataclass(frozen=True)
class AdaptationChangeView:
    indicator: str
    kind: str
    theme: str
    reason: str
    before: IndicatorText | None  # the national text in the base release (None for added)
    after: IndicatorText | None  # the local text (None for not_applicable)
    diff: list[FieldChange]  # national -> local, by field (empty for not_applicable)


@dataclass(frozen=True)
class AdaptationView:
    id: int
    framework: str
    name: str
    region: str
    department: str
    territory: str  # the region's or the department's name
    working_group: int
    base_version: str
    version: int  # 0 before the first
    content_hash: str | None
    published_at: datetime | None
    changes: tuple[AdaptationChangeView, ...]
    upstream_changed: tuple[str, ...]  # adapted national indicators revised or retired upstream since


def local_code(theme: str, number: int) -> str:
    return f"{theme}-L{number}"


def local_number(theme: str, code: str) -> int | None:
    match = re.fullmatch(rf"{re.escape(theme)}-L(\d+)", code)
    return int(match.group(1)) if match else None


def stored_change(row: dict) -> LocalChange:
    """A row of adaptation_change (its JSON loaded) as the change it records."""
    content = row["content"]
    return LocalChange(
        indicator=row["indicator_code"],
        kind=row["kind"],
        reason=row["reason"],
        theme=row["theme_code"],
        content=IndicatorText(**content) if content else None,
    )


def in_reading_order(changes: Iterable[LocalChange], themes: tuple[ReleasedTheme, ...]) -> list[LocalChange]:
    """National changes in the base release's order, each theme's added indicators after its own
    (by local number); added ones of a theme the release lacks come last."""
    place: dict[str, tuple[int, int, int]] = {}
    for t, theme in enumerate(themes):
        for i, indicator in enumerate(theme.indicators):
            place[indicator.code] = (t, 0, i)
    theme_place = {theme.code: t for t, theme in enumerate(themes)}

    def key(change: LocalChange) -> tuple[int, int, int, str]:
        if change.kind != ADDED:
            return (*place.get(change.indicator, (len(themes), 0, 0)), change.indicator)
        number = local_number(change.theme, change.indicator) or 0
        return (theme_place.get(change.theme, len(themes)), 1, number, change.indicator)

    return sorted(changes, key=key)


def text_diff(before: IndicatorText | None, after: IndicatorText | None) -> list[FieldChange]:
    """The word diff of each field that differs (an added text: from nothing)."""
    if after is None:
        return []
    pairs = [(name, getattr(before, name) if before else None, getattr(after, name)) for name in TEXT_FIELDS]
    # An added text has no national one: its filled fields read as wholly added.
    wanted = (lambda old, new: old != new) if before is not None else (lambda _old, new: bool(new))
    return [FieldChange(name, old, new, word_diff(old, new)) for name, old, new in pairs if wanted(old, new)]


def canonical_form(
    framework: str,
    adaptation_id: int,
    name: str,
    region: str,
    department: str,
    number: int,
    base_version: str,
    base_hash: str,
    changes: Iterable[LocalChange],
) -> dict:
    return {
        "framework": framework,
        "adaptation": adaptation_id,
        "name": name,
        "territory": {"region": region, "department": department},
        "version": number,
        "base": {"version": base_version, "content_hash": base_hash},
        "changes": [
            {
                "indicator": change.indicator,
                "kind": change.kind,
                "theme": change.theme,
                "reason": change.reason,
                "content": asdict(change.content) if change.content is not None else None,
            }
            for change in sorted(changes, key=lambda change: change.indicator)
        ],
    }


def adaptation_hash(
    framework: str,
    adaptation_id: int,
    name: str,
    region: str,
    department: str,
    number: int,
    base_version: str,
    base_hash: str,
    changes: Iterable[LocalChange],
) -> str:
    """SHA-256 of the canonical JSON form (sorted keys, UTF-8, no whitespace) of a version."""
    form = canonical_form(
        framework, adaptation_id, name, region, department, number, base_version, base_hash, changes
    )
    canonical = json.dumps(form, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
