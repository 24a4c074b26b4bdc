"""Releases built in memory from the starter framework, for tests that need no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from indicators.content import IndicatorText, Release, ReleasedIndicator, ReleasedTheme, content_hash
from indicators.starter import indicator_text, read_document

PUBLISHED_AT = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


def starter_release() -> Release:
    document = read_document()
    themes = tuple(
        ReleasedTheme(
            code=theme["code"],
            title=theme["title_fr"],
            title_en=theme.get("title_en"),
            description=theme.get("description_fr", ""),
            description_en=theme.get("description_en"),
            indicators=tuple(
                ReleasedIndicator(item["code"], 1, indicator_text(item), PUBLISHED_AT)
                for item in theme["indicators"]
            ),
        )
        for theme in document["themes"]
    )
    meta = document["framework"]
    return _sealed(meta["id"], meta["version"], "Version de départ.", themes, PUBLISHED_AT)


def derive(
    release: Release,
    version: str,
    *,
    amend: dict[str, dict[str, str | None]] | None = None,
    add: dict[str, list[tuple[str, IndicatorText]]] | None = None,
    retire: tuple[str, ...] = (),
    move: dict[str, str] | None = None,
    summary: str = "Modifications.",
) -> Release:
    """A later release of `release`.

    amend: code -> {field: new text}, bumping the indicator's revision;
    add: theme code -> [(code, text)], appended to the theme;
    retire: codes to drop; move: code -> theme code it moves to (appended there).
    """
    published_at = release.published_at + timedelta(days=30)
    themes = release.themes
    for code, changes in (amend or {}).items():
        themes = _amended(themes, code, changes, published_at)
    for code, theme_code in (move or {}).items():
        themes = _moved(themes, code, theme_code)
    for code in retire:
        themes = _without(themes, code)
    for theme_code, items in (add or {}).items():
        added = [ReleasedIndicator(code, 1, text, published_at) for code, text in items]
        themes = _appended(themes, theme_code, *added)
    return _sealed(release.framework, version, summary, themes, published_at)


def new_text(title: str = "Un nouvel indicateur", **fields: str | None) -> IndicatorText:
    defaults = {"statement": "Un énoncé.", "rationale": "Une raison.", "evidence_level": "emerging"}
    return IndicatorText(title=title, **{**defaults, **fields})


def _sealed(
    framework: str, version: str, summary: str, themes: tuple[ReleasedTheme, ...], published_at: datetime
) -> Release:
    return Release(
        framework=framework,
        version=version,
        summary=summary,
        summary_en=None,
        published_at=published_at,
        content_hash=content_hash(framework, version, summary, themes),
        proposal_id=None,
        themes=themes,
    )


def _find(themes: tuple[ReleasedTheme, ...], code: str) -> ReleasedIndicator:
    for theme in themes:
        for indicator in theme.indicators:
            if indicator.code == code:
                return indicator
    raise KeyError(code)


def _amended(
    themes: tuple[ReleasedTheme, ...], code: str, changes: dict[str, str | None], at: datetime
) -> tuple[ReleasedTheme, ...]:
    old = _find(themes, code)
    new = ReleasedIndicator(code, old.revision + 1, replace(old.text, **changes), at)
    return tuple(
        replace(theme, indicators=tuple(new if i.code == code else i for i in theme.indicators))
        for theme in themes
    )


def _without(themes: tuple[ReleasedTheme, ...], code: str) -> tuple[ReleasedTheme, ...]:
    _find(themes, code)
    return tuple(
        replace(theme, indicators=tuple(i for i in theme.indicators if i.code != code)) for theme in themes
    )


def _appended(
    themes: tuple[ReleasedTheme, ...], theme_code: str, *indicators: ReleasedIndicator
) -> tuple[ReleasedTheme, ...]:
    if theme_code not in {theme.code for theme in themes}:
        raise KeyError(theme_code)
    return tuple(
        replace(theme, indicators=theme.indicators + indicators) if theme.code == theme_code else theme
        for theme in themes
    )


def _moved(themes: tuple[ReleasedTheme, ...], code: str, theme_code: str) -> tuple[ReleasedTheme, ...]:
    return _appended(_without(themes, code), theme_code, _find(themes, code))
