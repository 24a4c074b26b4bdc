"""The summary chart: a well-formed, labelled, escaped SVG whose colours meet WCAG contrast."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from programmes.chart import BAR_WIDTH, LEVEL_COLOURS, TEXT_COLOURS, ThemeBar, summary_svg
from programmes.levels import LEVELS

SVG = "{http://www.w3.org/2000/svg}"
NAMES = {
    "not_started": "not started",
    "in_progress": "in progress",
    "in_place": "in place",
    "exemplary": "exemplary",
    "not_applicable": "not applicable",
}
BARS = [
    ThemeBar("T1 — Recrutement des mentors", {"not_started": 1, "in_place": 3, "exemplary": 2}),
    ThemeBar("T2 — Formation", {"in_progress": 2, "not_applicable": 1, "unanswered": 4}),
    ThemeBar("T3 — Suivi", {"in_progress": 1, "in_place": 1, "exemplary": 1}),
]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def bar_groups(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "bar"]


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_labelled_image() -> None:
    root = parse(summary_svg(BARS, NAMES, "Summary", "Levels per theme"))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert root.get("preserveAspectRatio") == "xMinYMin meet"
    assert root.get("viewBox", "").startswith("0 0 640 ")
    title_id, desc_id = root.get("aria-labelledby", "").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}title").text == "Summary"
    assert root.find(f"{SVG}desc").get("id") == desc_id
    assert root.find(f"{SVG}desc").text == "Levels per theme"


def test_ids_follow_prefix_and_content() -> None:
    one = parse(summary_svg(BARS, NAMES, "Summary", "d", id_prefix="mine"))
    other = parse(summary_svg(BARS[:1], NAMES, "Summary", "d", id_prefix="mine"))
    assert one.find(f"{SVG}title").get("id").startswith("mine-")
    assert one.find(f"{SVG}title").get("id") != other.find(f"{SVG}title").get("id")
    with pytest.raises(ValueError):
        summary_svg(BARS, NAMES, "t", "d", id_prefix='x" onload="')


def test_deterministic_and_height_grows_with_bars() -> None:
    assert summary_svg(BARS, NAMES, "t", "d") == summary_svg(BARS, NAMES, "t", "d")
    heights = [float(parse(summary_svg(BARS[:n], NAMES, "t", "d")).get("viewBox").split()[3]) for n in (1, 3)]
    assert heights[0] < heights[1]


def test_one_group_per_theme_with_full_label() -> None:
    long = ThemeBar("T4 — " + "très long intitulé " * 8, {"in_place": 1})
    groups = bar_groups(parse(summary_svg([*BARS, long], NAMES, "t", "d")))
    assert [g.find(f"{SVG}title").text for g in groups] == [bar.label for bar in [*BARS, long]]
    shown = groups[-1].find(f"{SVG}text").text
    assert len(shown) <= 60 and shown.endswith("…")


def test_segments_fill_the_bar_in_level_order() -> None:
    for group in bar_groups(parse(summary_svg(BARS, NAMES, "t", "d"))):
        rects = group.findall(f"{SVG}rect")
        assert abs(sum(float(r.get("width")) for r in rects) - BAR_WIDTH) <= 1
        titles = [r.find(f"{SVG}title").text for r in rects]
        order = [*LEVELS, "unanswered"]
        keys = [next(k for k in order if t.startswith(NAMES.get(k, k) + ":")) for t in titles]
        assert keys == sorted(keys, key=order.index)
    first = bar_groups(parse(summary_svg(BARS, NAMES, "t", "d")))[0]
    assert [r.find(f"{SVG}title").text for r in first.findall(f"{SVG}rect")] == [
        "not started: 1",
        "in place: 3",
        "exemplary: 2",
    ]


def test_zero_total_draws_an_outline() -> None:
    (group,) = bar_groups(parse(summary_svg([ThemeBar("Empty", {})], NAMES, "t", "d")))
    (rect,) = group.findall(f"{SVG}rect")
    assert rect.get("fill") == "none" and rect.get("stroke")
    assert float(rect.get("width")) == BAR_WIDTH


@pytest.mark.parametrize("counts", [{"in_place": -1}, {"in_place": 1.5}, {"in_place": True}, {"bogus": 1}])
def test_bad_counts_refused(counts: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        summary_svg([ThemeBar("T", counts)], NAMES, "t", "d")  # type: ignore[arg-type]


def test_hostile_text_is_escaped() -> None:
    hostile = "<script>alert(1)</script> \"quoted\" 'single' & more"
    svg = summary_svg([ThemeBar(hostile, {"in_place": 1})], {"in_place": hostile}, hostile, hostile)
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg and "&amp; more" in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == hostile
    assert bar_groups(root)[0].find(f"{SVG}title").text == hostile


def test_no_style_or_script() -> None:
    root = parse(summary_svg(BARS, NAMES, "t", "d"))
    for element in root.iter():
        assert "style" not in element.attrib
        assert element.tag not in {f"{SVG}style", f"{SVG}script", f"{SVG}foreignObject"}
        assert not any(name.startswith("on") or "href" in name for name in element.attrib)


def test_legend_lists_every_level_with_fallback_name() -> None:
    root = parse(summary_svg(BARS, NAMES, "t", "d"))
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
    assert [t.text for t in legend.findall(f"{SVG}text")] == [*NAMES.values(), "unanswered"]
    assert [r.get("fill") for r in legend.findall(f"{SVG}rect")] == [
        LEVEL_COLOURS[k] for k in [*LEVELS, "unanswered"]
    ]


def test_colour_contrast() -> None:
    white = "#ffffff"
    root = parse(summary_svg(BARS, NAMES, "t", "d"))
    fills = {r.get("fill") for g in bar_groups(root) for r in g.findall(f"{SVG}rect")}
    assert fills <= set(LEVEL_COLOURS.values())
    for key, fill in LEVEL_COLOURS.items():
        if key == "unanswered":
            continue
        assert contrast(fill, white) >= 3, key
    blank = LEVEL_COLOURS["unanswered"]
    strokes = {
        r.get("stroke") for g in bar_groups(root) for r in g.findall(f"{SVG}rect") if r.get("fill") == blank
    }
    assert strokes
    assert all(contrast(s, white) >= 3 for s in strokes if s)
    assert len(set(LEVEL_COLOURS.values())) == len(LEVEL_COLOURS)
    for key, fill in LEVEL_COLOURS.items():
        assert contrast(fill, TEXT_COLOURS[key]) >= 4.5, key
    for text in (t for g in bar_groups(root) for t in g.findall(f"{SVG}text")[1:]):
        assert text.get("fill") in TEXT_COLOURS.values()
