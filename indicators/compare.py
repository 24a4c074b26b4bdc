"""What changed between any two releases of a framework, in either direction."""

from __future__ import annotations

from dataclasses import dataclass

from indicators.content import TEXT_FIELDS, Release, ReleasedIndicator, ReleasedTheme
from indicators.worddiff import Segment, word_diff


@dataclass(frozen=True)
class FieldChange:
    name: str
    before: str | None
    after: str | None
    diff: list[Segment]


@dataclass(frozen=True)
class IndicatorRef:
    code: str
    title: str
    theme: str
    revision: int


@dataclass(frozen=True)
class ChangedIndicator:
    code: str
    title: str
    theme: str
    before_revision: int
    after_revision: int
    fields: list[FieldChange]


@dataclass(frozen=True)
class MovedIndicator:
    code: str
    title: str
    from_theme: str
    to_theme: str


@dataclass(frozen=True)
class Comparison:
    from_version: str
    to_version: str
    added: list[IndicatorRef]
    removed: list[IndicatorRef]
    changed: list[ChangedIndicator]
    moved: list[MovedIndicator]

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.moved)


Located = tuple[ReleasedTheme, ReleasedIndicator]


def compare_releases(before: Release, after: Release) -> Comparison:
    """Differences from `before` to `after`.

    `before` may be the newer release: the differences then read backwards (added ones are those retired).
    """
    old, new = before.indicators(), after.indicators()
    kept = [code for code in new if code in old]
    return Comparison(
        from_version=before.version,
        to_version=after.version,
        added=[_ref(*new[code]) for code in new if code not in old],
        removed=[_ref(*old[code]) for code in old if code not in new],
        changed=[c for code in kept if (c := _changed(old[code], new[code])) is not None],
        moved=[m for code in kept if (m := _moved(old[code], new[code])) is not None],
    )


def _ref(theme: ReleasedTheme, indicator: ReleasedIndicator) -> IndicatorRef:
    return IndicatorRef(indicator.code, indicator.text.title, theme.code, indicator.revision)


def field_changes(before: ReleasedIndicator, after: ReleasedIndicator) -> list[FieldChange]:
    changes = []
    for name in TEXT_FIELDS:
        old, new = getattr(before.text, name), getattr(after.text, name)
        if old != new:
            changes.append(FieldChange(name, old, new, word_diff(old, new)))
    return changes


def _changed(before: Located, after: Located) -> ChangedIndicator | None:
    (_, old), (theme, new) = before, after
    if old.text == new.text:
        return None
    return ChangedIndicator(
        code=new.code,
        title=new.text.title,
        theme=theme.code,
        before_revision=old.revision,
        after_revision=new.revision,
        fields=field_changes(old, new),
    )


def _moved(before: Located, after: Located) -> MovedIndicator | None:
    (old_theme, _), (new_theme, new) = before, after
    if old_theme.code == new_theme.code:
        return None
    return MovedIndicator(new.code, new.text.title, old_theme.code, new_theme.code)
