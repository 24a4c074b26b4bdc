"""The rules of a local change, without the database: what is refused, and what the next version of an
adaptation holds once a change is applied to the latest one."""

from __future__ import annotations

from indicators.adaptation_content import (
    ADAPTATION_KINDS,
    ADDED,
    NOT_APPLICABLE,
    REWORDED,
    LocalChange,
    local_code,
)
from indicators.content import EVIDENCE_LEVELS, Release
from web.failures import Conflict, InvalidInput
from web.messages import Term


def check_shape(change: LocalChange) -> None:
    """What a change must be whatever the adaptation: a known kind, a reason when it says "not
    applicable", a text with a known evidence level when it rewords or adds."""
    if change.kind not in ADAPTATION_KINDS:
        raise InvalidInput(
            "Unknown kind of local change %(kind)r: use one of %(kinds)s.",
            "kind",
            kind=change.kind,
            kinds=", ".join(ADAPTATION_KINDS),
        )
    reason = Term("reason")
    if not isinstance(change.reason, str):
        raise InvalidInput("The %(what)s must be text.", "reason", what=reason)
    if change.kind == NOT_APPLICABLE and not change.reason.strip():
        raise InvalidInput("The %(what)s is empty: write at least one character.", "reason", what=reason)
    if change.kind == NOT_APPLICABLE:
        return
    if change.content is None:
        raise InvalidInput("A reworded or added indicator needs its text.", "content")
    if change.content.evidence_level not in EVIDENCE_LEVELS:
        raise InvalidInput(
            "Unknown evidence level %(level)r: use one of %(levels)s.",
            "evidence_level",
            level=change.content.evidence_level,
            levels=", ".join(EVIDENCE_LEVELS),
        )


def apply_change(
    current: list[LocalChange], change: LocalChange, release: Release, highest: dict[str, int]
) -> list[LocalChange]:
    """The changes of the next version: `current` with `change` replacing any earlier one about the
    same indicator. `release` is the base release; `highest`, per theme, the highest local number the
    adaptation ever used (a new local indicator takes the next one: codes are never reused)."""
    changes = {c.indicator: c for c in current}
    earlier = changes.get(change.indicator)
    if (change.kind == ADDED and not change.indicator) or (earlier is not None and earlier.kind == ADDED):
        return _apply_local(changes, change, earlier, release, highest)
    national = release.indicators()
    if change.indicator not in national:
        raise Conflict(
            "%(code)r is neither an indicator of release %(version)s nor a local indicator "
            "of this adaptation.",
            code=change.indicator,
            version=release.version,
        )
    if change.kind == ADDED:
        raise Conflict(
            "%(code)r is a national indicator: declare it not applicable or reword it.", code=change.indicator
        )
    theme, indicator = national[change.indicator]
    if change.kind == REWORDED and change.content == indicator.text:
        raise Conflict(
            "The reworded text of %(code)r is the national text: there is nothing to adapt.",
            code=change.indicator,
        )
    content = change.content if change.kind == REWORDED else None
    changes[change.indicator] = LocalChange(change.indicator, change.kind, change.reason, theme.code, content)
    return list(changes.values())


def _apply_local(
    changes: dict[str, LocalChange],
    change: LocalChange,
    earlier: LocalChange | None,
    release: Release,
    highest: dict[str, int],
) -> list[LocalChange]:
    """A new local indicator, a new text for one (reworded or added again: it stays added, in its
    theme and under its code), or its removal (not applicable: it is no longer one)."""
    if earlier is not None:
        if change.kind == NOT_APPLICABLE:
            del changes[earlier.indicator]
        else:
            changes[earlier.indicator] = LocalChange(
                earlier.indicator, ADDED, change.reason, earlier.theme, change.content
            )
        return list(changes.values())
    if change.theme not in {theme.code for theme in release.themes}:
        raise Conflict(
            "The release %(version)s has no theme %(theme)r.", version=release.version, theme=change.theme
        )
    code = local_code(change.theme, highest.get(change.theme, 0) + 1)
    changes[code] = LocalChange(code, ADDED, change.reason, change.theme, change.content)
    return list(changes.values())
