"""The tile map of the regions: one tile per region, accessible, escaped, without inline style."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from places.france import regions
from places.tilemap import BACKGROUND, BANDS, FILLS, TEXT, TILES, band, tile_map_svg

SVG = "{http://www.w3.org/2000/svg}"
NAMES = {region.code: region.name for region in regions()}
LEGEND = {"few": "fewer than 5", "heard": "5 or more"}


def draw(figures: dict, **extra) -> str:
    return tile_map_svg(
        figures,
        NAMES,
        "Participants by region",
        "One square per region.",
        LEGEND,
        threshold=5,
        heard_labels=("≥5",),
        **extra,
    )


def luminance(colour: str) -> float:
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_every_region_has_one_tile_and_overseas_sit_in_a_row_below() -> None:
    assert set(TILES) == {region.code for region in regions()}
    places = [(column, row) for column, row, _short in TILES.values()]
    assert len(set(places)) == len(places)
    overseas = {"01", "02", "03", "04", "06"}
    assert {TILES[code][1] for code in overseas} == {max(row for _c, row in places)}
    assert max(TILES[code][1] for code in TILES if code not in overseas) < TILES["01"][1] - 1


def test_the_picture_is_well_formed_and_labelled_as_an_image() -> None:
    svg = draw({"11": 12, "94": "<5"})
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "Participants by region" and desc.text == "One square per region."
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    tiles = root.findall(f"{SVG}g[@class='tile']")
    assert len(tiles) == 18


def test_each_tile_says_its_figure_in_text_as_well_as_in_colour() -> None:
    root = ET.fromstring(draw({"11": 12, "94": "<5", "84": "≥5", "53": 4}, number=lambda n: f"#{n}"))
    found = {}
    for tile in root.findall(f"{SVG}g[@class='tile']"):
        texts = [text.text for text in tile.findall(f"{SVG}text")]
        found[texts[0]] = (texts[1], tile.find(f"{SVG}rect").get("fill"), tile.find(f"{SVG}title").text)
    assert found["IDF"] == ("#12", FILLS["heard"], "Île-de-France: #12")
    assert found["COR"] == ("<5", FILLS["few"], "Corse: <5")
    assert found["ARA"][:2] == ("≥5", FILLS["heard"])
    assert found["BRE"][:2] == ("#4", FILLS["few"])  # the map draws what it is given, masked or not
    assert found["GP"][:2] == ("–", FILLS["few"])  # a region without a figure says so
    legend = [text.text for text in root.find(f"{SVG}g[@class='legend']").findall(f"{SVG}text")]
    assert legend == ["fewer than 5", "5 or more"]


def test_bands() -> None:
    assert [band(n, 5) for n in (0, 4, 5, 1000)] == ["few", "few", "heard", "heard"]
    assert band("<5", 5, ("≥5",)) == "few" and band("≥5", 5, ("≥5",)) == "heard"
    assert band("≥5", 5) == "few"  # a label is below the threshold unless said otherwise
    for wrong in (-1, 2.5, True, None):
        with pytest.raises(ValueError):
            band(wrong, 5)


def test_colours_contrast_with_the_background_and_their_text() -> None:
    for kind in BANDS:
        assert contrast(FILLS[kind], BACKGROUND) >= 3, kind
        assert contrast(TEXT[kind], FILLS[kind]) >= 4.5, kind


def test_every_text_is_escaped() -> None:
    hostile = '<script>alert("x")</script> & "quotes"'
    svg = tile_map_svg(
        {"11": hostile},
        {**NAMES, "84": hostile},
        hostile,
        hostile,
        {"few": hostile},
        threshold=5,
        id_prefix="map",
    )
    assert "<script>" not in svg
    ET.fromstring(svg)  # still well-formed
    assert svg.count("&lt;script&gt;") >= 4


def test_no_inline_style_nor_script() -> None:
    svg = draw({"11": 7})
    assert not re.search(r"\sstyle=|<style|<script|\son\w+=", svg)


def test_refuses_unknown_regions_bad_counts_and_bad_id_prefixes() -> None:
    with pytest.raises(ValueError):
        draw({"99": 5})
    with pytest.raises(ValueError):
        draw({"11": -3})
    with pytest.raises(ValueError):
        draw({"11": 5}, id_prefix='x" onload="alert(1)')


def test_two_maps_with_different_figures_have_different_ids() -> None:
    first, second = ET.fromstring(draw({"11": 5})), ET.fromstring(draw({"11": 6}))
    assert first.find(f"{SVG}title").get("id") != second.find(f"{SVG}title").get("id")
