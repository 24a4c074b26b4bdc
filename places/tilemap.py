"""France's regions as a tile map: one square per region, drawn on the server as an SVG picture.

No map data: each region is a tile in a grid that roughly follows the country's shape (Hauts-de-France
at the top, Bretagne on the left, Corse at the bottom right) and the five overseas regions sit in a
row below. Each tile says its figure twice, by its colour and by a text label (the region's short
code and its count), so the picture reads without colour; the page shows the same figures in a table,
which is the accessible source. The picture is labelled as a whole by its <title> and <desc>.

Plain markup with presentation attributes only: no style attribute, no <style> element (the site's
Content-Security-Policy forbids inline styles), no script. Every text is escaped. Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Collection, Mapping
from html import escape  # escapes & < > " ': right for XML text and quoted attributes

# (column, row) of each region by INSEE code, and its short code (ISO 3166: FR-ARA..., and the
# overseas regions' own two letters).
TILES: dict[str, tuple[int, int, str]] = {
    "32": (2, 0, "HDF"),
    "28": (1, 1, "NOR"),
    "11": (2, 1, "IDF"),
    "44": (3, 1, "GES"),
    "53": (0, 2, "BRE"),
    "52": (1, 2, "PDL"),
    "24": (2, 2, "CVL"),
    "27": (3, 2, "BFC"),
    "75": (1, 3, "NAQ"),
    "84": (2, 3, "ARA"),
    "76": (1, 4, "OCC"),
    "93": (2, 4, "PAC"),
    "94": (3, 4, "COR"),
    # overseas, below a gap
    "01": (0, 6, "GP"),
    "02": (1, 6, "MQ"),
    "03": (2, 6, "GF"),
    "04": (3, 6, "RE"),
    "06": (4, 6, "YT"),
}
OVERSEAS_ROW = 6

# Two bands: under the threshold ("few": where voices are missing) and at or above it ("heard"). The
# colour says which, the text the figure. A warm dark orange for the few, a dark blue for the others:
# apart in hue and in lightness, each with at least 3:1 contrast against the white background (WCAG
# 1.4.11) and white text at least 4.5:1 against it (tests/places/test_tilemap.py checks both).
BANDS = ("few", "heard")
FILLS = {"few": "#a34700", "heard": "#2b4f85"}
TEXT = {"few": "#ffffff", "heard": "#ffffff"}
BACKGROUND = "#ffffff"
INK = "#000000"

COLUMNS = 5
TILE, GAP, MARGIN = 76, 6, 12
LEGEND_ROW, SWATCH = 24, 16
MAX_LEGEND = 48
WIDTH = 2 * MARGIN + COLUMNS * TILE + (COLUMNS - 1) * GAP
LEGEND_TOP = MARGIN + (OVERSEAS_ROW + 1) * (TILE + GAP) + 8
HEIGHT = LEGEND_TOP + len(BANDS) * LEGEND_ROW + MARGIN  # the picture's size, for an <img> showing it


def band(value: int | str, threshold: int, heard_labels: Collection[str] = ()) -> str:
    """The band of a figure: a count (a whole number, zero or more), or a label shown instead of one
    ("<5"), which is under the threshold unless it is one of `heard_labels` ("≥5")."""
    if isinstance(value, str):
        return "heard" if value in heard_labels else "few"
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"A figure must be a whole number, zero or more, or a label: {value!r}")
    return "heard" if value >= threshold else "few"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _tile(code: str, kind: str, name: str, shown: str) -> str:
    column, row, short = TILES[code]
    x, y = MARGIN + column * (TILE + GAP), MARGIN + row * (TILE + GAP)
    middle = x + TILE / 2
    return (
        '<g class="tile">'
        f"<title>{escape(name)}: {escape(shown)}</title>"
        f'<rect x="{x}" y="{y}" width="{TILE}" height="{TILE}" rx="4" fill="{FILLS[kind]}"/>'
        f'<text x="{middle:g}" y="{y + 30}" text-anchor="middle" font-weight="bold" '
        f'fill="{TEXT[kind]}">{escape(short)}</text>'
        f'<text x="{middle:g}" y="{y + 56}" text-anchor="middle" font-size="18" '
        f'fill="{TEXT[kind]}">{escape(shown)}</text>'
        "</g>"
    )


def _legend(top: int, legend: Mapping[str, str]) -> list[str]:
    out = ['<g class="legend">']
    for index, kind in enumerate(BANDS):
        y = top + index * LEGEND_ROW
        out.append(
            f'<rect x="{MARGIN}" y="{y}" width="{SWATCH}" height="{SWATCH}" fill="{FILLS[kind]}"/>'
            f'<text x="{MARGIN + SWATCH + 8}" y="{y + SWATCH - 3}" fill="{INK}">'
            f"{escape(_short(str(legend.get(kind, kind)), MAX_LEGEND))}</text>"
        )
    out.append("</g>")
    return out


def tile_map_svg(
    figures: Mapping[str, int | str],
    names: Mapping[str, str],
    title: str,
    description: str,
    legend: Mapping[str, str],
    *,
    threshold: int,
    heard_labels: Collection[str] = (),
    number: Callable[[int], str] = str,
    id_prefix: str = "tilemap",
) -> str:
    """An <svg> element with one tile per region. `figures`: region INSEE code -> a count or a label
    shown as it is ("<5"); a region left out reads "–", under the threshold. A count is coloured by
    whether it reaches `threshold`, a label by whether it is one of `heard_labels`. `names`: the
    regions' names (each tile's tooltip); `legend`: what each band of BANDS means; `number` writes a
    count in the page's language. ValueError on an unknown region or a bad count."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", id_prefix):
        raise ValueError(f"Not an id prefix: {id_prefix!r}")
    unknown = sorted(set(figures) - set(TILES))
    if unknown:
        raise ValueError(f"Not a region on the tile map: {unknown!r}")
    values = {code: figures.get(code, "–") for code in TILES}
    shown = {code: value if isinstance(value, str) else number(value) for code, value in values.items()}
    labels = {code: str(names.get(code, code)) for code in TILES}
    bands = {code: band(value, threshold, heard_labels) for code, value in values.items()}
    # The ids are made of the content, so that two maps on one page never share one.
    content = json.dumps([title, description, shown, bands, labels, dict(legend)], sort_keys=True)
    base = f"{id_prefix}-{hashlib.sha256(content.encode()).hexdigest()[:8]}"
    title_id, desc_id = f"{base}-title", f"{base}-desc"
    width, height = WIDTH, HEIGHT
    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" role="img"'
        f' aria-labelledby="{escape(title_id + " " + desc_id)}"'
        f' viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet"'
        f' font-family="sans-serif" font-size="14" fill="{INK}">',
        f'<title id="{escape(title_id)}">{escape(title)}</title>',
        f'<desc id="{escape(desc_id)}">{escape(description)}</desc>',
        f'<rect width="{width}" height="{height}" fill="{BACKGROUND}"/>',
    ]
    out.extend(_tile(code, bands[code], labels[code], shown[code]) for code in TILES)
    out.extend(_legend(LEGEND_TOP, legend))
    out.append("</svg>")
    return "\n".join(out)
