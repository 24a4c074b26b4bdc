"""Downloadable forms of a release: CSV for spreadsheets, Markdown for reading and archiving."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping

from indicators.content import Release, ReleasedIndicator, ReleasedTheme

CSV_HEADER = (
    "theme_code",
    "theme_title",
    "code",
    "revision",
    "title",
    "statement",
    "rationale",
    "evidence_level",
    "measurement",
    "territorial_note",
    "title_en",
    "statement_en",
    "rationale_en",
)

# Spreadsheets run a cell starting with one of these as a formula (CSV/formula injection, see OWASP).
# Texts come from contributors; a spreadsheet may split a cell again on its own separator (";" in
# French, "," in English, a tab, "|"), making the text after it a cell of its own. So a formula start
# at the beginning of a text, or after any such separator (and spaces), gets a leading quote, which
# spreadsheets show as text; and every text cell is quoted.
_FORMULA_START = re.compile(r"(^|[,;\t|\r\n])([ \t]*)([=+\-@])")
# What a cell may not start with, even when no formula follows (some spreadsheets strip it first).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def release_csv(release: Release) -> str:
    """One row per indicator, in reading order, under a header row (RFC 4180, CRLF line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow(CSV_HEADER)
    for theme in release.themes:
        for indicator in theme.indicators:
            writer.writerow([defuse(cell) for cell in _csv_row(theme, indicator)])
    return buffer.getvalue()


def _csv_row(theme: ReleasedTheme, indicator: ReleasedIndicator) -> list[str | int | None]:
    text = indicator.text
    return [
        theme.code,
        theme.title,
        indicator.code,
        indicator.revision,
        text.title,
        text.statement,
        text.rationale,
        text.evidence_level,
        text.measurement,
        text.territorial_note,
        text.title_en,
        text.statement_en,
        text.rationale_en,
    ]


def defuse(cell: str | int | None) -> str | int:
    if cell is None:
        return ""
    if isinstance(cell, str):
        text = _FORMULA_START.sub(r"\1\2'\3", cell)
        return "'" + text if text.startswith(FORMULA_TRIGGERS) else text
    return cell


# Where CommonMark starts raw HTML (a tag, closing tag, comment, declaration or processing instruction)
# or an autolink: "<" followed by a letter, "/", "!" or "?".
_RAW_HTML_START = re.compile(r"<(?=[A-Za-z/!?])")


def inert(text: str) -> str:
    """A contributor's text for the Markdown export, with no raw HTML left in it.

    Markdown viewers render raw HTML (CommonMark passes it through), so `<svg onload=...>` in an
    indicator's text would run in the reader's viewer. Each "<" that could open a tag becomes the
    entity &lt;, which every viewer shows as "<" (a preceding backslash cannot undo an entity, as it
    could undo a backslash escape). Other Markdown is kept; "a < b" stays as it is. In a code span
    the entity shows as written: a small price for texts meant to be prose.
    """
    return _RAW_HTML_START.sub("&lt;", text)


def release_markdown(
    release: Release, framework_title: str, evidence_labels: Mapping[str, str] | None = None
) -> str:
    """The whole release as one Markdown document, in French (the framework's language).

    `evidence_labels` maps evidence level ids to their labels; unknown ids are shown as they are.
    """
    labels = evidence_labels or {}
    blocks = [f"# {framework_title}", *_release_header(release)]
    for theme in release.themes:
        blocks.extend(_theme_blocks(theme))
        for indicator in theme.indicators:
            blocks.extend(_indicator_blocks(indicator, labels))
    return inert("\n\n".join(block for block in blocks if block) + "\n")


def _release_header(release: Release) -> Iterator[str]:
    yield "\n".join(
        (
            f"- Version : {release.version}",
            f"- Publiée le : {release.published_at.date().isoformat()}",
            f"- Empreinte du contenu (SHA-256) : `{release.content_hash}`",
        )
    )
    if release.summary.strip():
        yield release.summary.strip()


def _theme_blocks(theme: ReleasedTheme) -> Iterator[str]:
    yield f"## {theme.code} — {theme.title}"
    if theme.description.strip():
        yield theme.description.strip()


def _indicator_blocks(indicator: ReleasedIndicator, evidence_labels: Mapping[str, str]) -> Iterator[str]:
    text = indicator.text
    yield f"### {indicator.code} — {text.title}"
    yield text.statement.strip()
    yield "**Pourquoi**"
    yield text.rationale.strip()
    yield f"**Niveau de preuve** : {evidence_labels.get(text.evidence_level, text.evidence_level)}"
    if text.measurement.strip():
        yield "**Mesure**"
        yield text.measurement.strip()
    if text.territorial_note and text.territorial_note.strip():
        yield "**Adaptation territoriale**"
        yield text.territorial_note.strip()
    yield f"*Révision {indicator.revision}*"
