"""Journey 1: a visitor reads the framework, an indicator, an older release, a comparison, and
downloads a release as CSV — on a desktop screen and on a 360 px wide phone."""

from __future__ import annotations

import csv
import io

import pytest

from tests.constants import SLUG
from tests.e2e.browser import assert_focus_visible, expect

SCENARIO = "reading"  # release 1.1.0 amends REC-1 of the starter's 1.0.0
OLD_TITLE = "Un message de recrutement honnête sur l'engagement"  # REC-1 in 1.0.0


@pytest.mark.parametrize(("name", "width", "height"), [("reading", 1280, 900), ("reading-360", 360, 740)])
async def test_a_visitor_reads_compares_and_downloads(journey, name: str, width: int, height: int):
    trip = journey(name, width, height)
    page = await trip.person()

    # The current framework, on the home page.
    await trip.goto(page, "/", "home")
    await expect(page.locator("html")).to_have_attribute("lang", "fr")
    facts = page.locator(".release-facts")
    await expect(facts).to_contain_text("1.1.0")
    await expect(facts.locator(".badge.current")).to_have_text("en vigueur")
    await expect(page.locator("#theme-REC")).to_contain_text("Un message de recrutement honnête et chiffré")
    await expect(page.get_by_role("note")).to_have_count(0)

    # From the keyboard: the skip link comes first and shows, then leads into the content.
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu")
    await expect(skip).to_be_focused()
    await expect(skip).to_be_in_viewport()
    await assert_focus_visible(page)
    await trip.check(page, "skip-link")
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(page.locator("main a").first).to_be_focused()
    await assert_focus_visible(page)

    # One indicator of it.
    await page.locator(f'a[href="/frameworks/{SLUG}/releases/1.1.0/indicators/REC-1"]').click()
    await expect(page.locator("h1")).to_contain_text("REC-1 Un message de recrutement honnête et chiffré")
    await expect(page.locator("main")).to_contain_text("La durée est donnée en mois.")
    await expect(page.get_by_role("link", name="Proposer une modification de REC-1")).to_be_visible()
    await trip.check(page, "indicator")

    # The list of releases, then the older one: it says it is not the current one.
    await page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Versions").click()
    await expect(page.locator("ol.releases > li")).to_have_count(2)
    await trip.check(page, "releases")
    await page.get_by_role("link", name="Version 1.0.0", exact=True).click()
    notice = page.get_by_role("note")
    await expect(notice).to_contain_text("la version 1.0.0, qui n'est pas la version en vigueur.")
    await expect(notice.get_by_role("link", name="Voir la version en vigueur (1.1.0)")).to_be_visible()
    await expect(page.locator("#theme-REC")).to_contain_text(OLD_TITLE)
    await trip.check(page, "older-release")

    # Its indicator, as it was then.
    await page.locator(f'a[href="/frameworks/{SLUG}/releases/1.0.0/indicators/REC-1"]').click()
    await expect(page.get_by_role("note")).to_contain_text("n'est pas la version en vigueur")
    await expect(page.locator("h1")).to_contain_text(OLD_TITLE)
    await trip.check(page, "older-indicator")

    # The older release as CSV: a download, named after the framework and the release.
    await page.go_back()
    async with page.expect_download() as started:
        await page.locator(".downloads").get_by_role("link", name="CSV").click()
    download = await started.value
    assert download.suggested_filename == f"{SLUG}-1.0.0.csv"
    saved = trip.folder / download.suggested_filename
    await download.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 36  # a header and the starter's 35 indicators
    assert any(OLD_TITLE in cell for row in rows for cell in row)

    # Two releases compared: what changed, marked in text and not by colour alone.
    await page.goto(f"/frameworks/{SLUG}/releases")
    form = page.locator("form.compare-form")
    await form.get_by_label("De la version").select_option("1.0.0")
    await form.get_by_label("À la version").select_option("1.1.0")
    await form.get_by_role("button", name="Comparer").click()
    await expect(page.locator("h1")).to_have_text("Modifications entre les versions 1.0.0 et 1.1.0")
    changed = page.locator("#changed-REC-1").locator("..")
    await expect(changed.locator("ins").first).to_contain_text("{+")
    await expect(changed.locator("del").first).to_contain_text("[-")
    await expect(changed).to_contain_text("La durée est donnée en mois.")
    await trip.check(page, "compare")


async def test_a_printed_release_is_a_clean_document(journey):
    trip = journey("printing", 794, 1123)  # an A4 page at 96 dpi
    page = await trip.person()
    await page.goto(f"/frameworks/{SLUG}/releases/1.1.0")
    hash_shown = (await page.locator(".release-facts .hash").inner_text()).strip()
    assert len(hash_shown) == 64

    await page.emulate_media(media="print")
    await trip.check(page, "print")
    facts = page.locator(".release-facts")
    await expect(facts).to_be_visible()
    await expect(facts).to_contain_text("1.1.0")
    await expect(facts.locator("time")).to_be_visible()
    await expect(facts.locator(".hash")).to_have_text(hash_shown)
    await expect(page.locator("h1")).to_be_visible()
    await expect(page.locator("#theme-REC")).to_contain_text("Un message de recrutement honnête et chiffré")
    # What only serves on screen is left out of the paper.
    for screen_only in (".site-header nav", ".language", ".downloads", ".take-part", ".site-footer"):
        for element in await page.locator(screen_only).all():
            await expect(element).to_be_hidden()
    pdf = await page.pdf(format="A4", print_background=False)
    (trip.folder / f"{SLUG}-1.1.0.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")
