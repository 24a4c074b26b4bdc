"""The per-theme summary of an assessment, drawn on the server as an SVG picture.

One horizontal stacked bar per theme, a segment per level. The page always shows the same figures in
a table beside the chart: the table is the accessible source (read cell by cell, copied, translated,
printed as text), the SVG only a picture of it, labelled as a whole by its <title> and <desc>. So the
chart needs no script and no style: it is plain markup with presentation attributes, which a strict
Content-Security-Policy (style-src 'self') allows, and its palette still reads in greyscale.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape  # escapes & < > " ': right for XML text and quoted attributes

from programmes.levels import LEVELS

UNANSWERED = "unanswered"
KEYS = (*LEVELS, UNANSWERED)

# A single-hue blue scale from light to dark for the four ordered levels (colour-blind safe: only
# lightness changes; CIE L* about 59, 46, 34, 17, so the steps survive greyscale printing), a warm
# grey for not_applicable, which stands outside the scale, and white outlined in grey for unanswered.
# Every fill has at least 3:1 contrast against white (WCAG 1.4.11), unanswered's stroke 4.5:1.
LEVEL_COLOURS: dict[str, str] = {
    "not_started": "#6f8fbf",
    "in_progress": "#4a6fa5",
    "in_place": "#2b4f85",
    "exemplary": "#112a4f",
    "not_applicable": "#8f8377",
    UNANSWERED: "#ffffff",
}
# The colour of a count written on a segment: at least 4.5:1 against that segment's fill.
TEXT_COLOURS: dict[str, str] = {
    "not_started": "#000000",
    "in_progress": "#ffffff",
    "in_place": "#ffffff",
    "exemplary": "#ffffff",
    "not_applicable": "#000000",
    UNANSWERED: "#000000",
}
OUTLINE = "#767676"  # 4.54:1 against white

WIDTH, MARGIN, LABEL_HEIGHT, BAR_HEIGHT, ROW_GAP = 640, 16, 20, 24, 14
BAR_WIDTH = WIDTH - 2 * MARGIN
ROW_HEIGHT = LABEL_HEIGHT + BAR_HEIGHT + ROW_GAP
LEGEND_ROW, LEGEND_COLUMNS, SWATCH = 22, 2, 14
MIN_TEXT_WIDTH = 24
MAX_LABEL = 60


@dataclass(frozen=True)
class ThemeBar:
    label: str  # the theme's title as shown (e.g. "T1 — Recrutement des mentors")
    counts: Mapping[str, int]  # level -> number of indicators at that level (absent = 0); or "unanswered"


def _num(value: float) -> str:
    return f"{round(value, 2):g}"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _counts(bar: ThemeBar) -> list[tuple[str, int]]:
    for key, count in bar.counts.items():
        if key not in KEYS:
            raise ValueError(f"Unknown level in a chart: {key!r}")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ValueError(f"A count must be a whole number, zero or more: {key}={count!r}")
    return [(key, bar.counts.get(key, 0)) for key in KEYS]


def _bar(bar: ThemeBar, counts: list[tuple[str, int]], top: int, names: Mapping[str, str]) -> list[str]:
    total = sum(count for _, count in counts)
    y = top + LABEL_HEIGHT
    out = [
        '<g class="bar">',
        f"<title>{escape(bar.label)}</title>",
        f'<text x="{MARGIN}" y="{top + 14}" font-size="14">{escape(_short(bar.label, MAX_LABEL))}</text>',
    ]
    if total == 0:
        out.append(
            f'<rect x="{MARGIN}" y="{y}" width="{BAR_WIDTH}" height="{BAR_HEIGHT}" fill="none" '
            f'stroke="{OUTLINE}"/>'
        )
    done = 0
    for key, count in counts:
        if not count:
            continue
        # Edges from the running total, so the segments always add up to the bar's width exactly.
        start = MARGIN + BAR_WIDTH * done / total
        done += count
        width = MARGIN + BAR_WIDTH * done / total - start
        stroke = OUTLINE if key == UNANSWERED else "#ffffff"
        out.append(
            f'<rect x="{_num(start)}" y="{y}" width="{_num(width)}" height="{BAR_HEIGHT}" '
            f'fill="{LEVEL_COLOURS[key]}" stroke="{stroke}">'
            f"<title>{escape(names[key])}: {count}</title></rect>"
        )
        if width >= MIN_TEXT_WIDTH:
            out.append(
                f'<text x="{_num(start + width / 2)}" y="{y + BAR_HEIGHT / 2:g}" text-anchor="middle" '
                f'dominant-baseline="central" fill="{TEXT_COLOURS[key]}" aria-hidden="true">{count}</text>'
            )
    out.append("</g>")
    return out


def _legend(top: int, names: Mapping[str, str]) -> list[str]:
    out = ['<g class="legend">']
    column_width = BAR_WIDTH // LEGEND_COLUMNS
    for index, key in enumerate(KEYS):
        x = MARGIN + (index % LEGEND_COLUMNS) * column_width
        y = top + (index // LEGEND_COLUMNS) * LEGEND_ROW
        stroke = f' stroke="{OUTLINE}"' if key == UNANSWERED else ""
        out.append(
            f'<rect x="{x}" y="{y}" width="{SWATCH}" height="{SWATCH}" fill="{LEVEL_COLOURS[key]}"{stroke}/>'
            f'<text x="{x + SWATCH + 6}" y="{y + SWATCH - 2}">{escape(_short(names[key], 40))}</text>'
        )
    out.append("</g>")
    return out


def summary_svg(
    bars: Sequence[ThemeBar],
    level_names: Mapping[str, str],
    title: str,
    description: str,
    *,
    id_prefix: str = "summary",
) -> str:
    """An <svg> element drawing one stacked bar per theme and a legend; ValueError on a bad count."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", id_prefix):
        raise ValueError(f"Not an id prefix: {id_prefix!r}")
    names = {key: str(level_names.get(key, key)) for key in KEYS}
    counts = [_counts(bar) for bar in bars]
    labels = [bar.label for bar in bars]
    content = json.dumps([title, description, names, labels, counts])
    base = f"{id_prefix}-{hashlib.sha256(content.encode()).hexdigest()[:8]}"
    title_id, desc_id = f"{base}-title", f"{base}-desc"
    legend_top = MARGIN + len(bars) * ROW_HEIGHT + 4
    height = legend_top + -(-len(KEYS) // LEGEND_COLUMNS) * LEGEND_ROW + MARGIN
    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" role="img"'
        f' aria-labelledby="{escape(title_id + " " + desc_id)}"'
        f' viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet"'
        ' font-family="sans-serif" font-size="12" fill="#000000">',
        f'<title id="{escape(title_id)}">{escape(title)}</title>',
        f'<desc id="{escape(desc_id)}">{escape(description)}</desc>',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
    ]
    for index, (bar, bar_counts) in enumerate(zip(bars, counts, strict=True)):
        out.extend(_bar(bar, bar_counts, MARGIN + index * ROW_HEIGHT, names))
    out.extend(_legend(legend_top, names))
    out.append("</svg>")
    return "\n".join(out)
