"""Journey 8: notifications. Awa's proposal was commented on twice: the header says so, her
notifications page lists both and marks them read, and she chooses a daily digest of comments in
English; axe clean, on a phone too."""

from __future__ import annotations

import re

from tests.e2e.browser import describe, expect, sign_in

SCENARIO = "notifications"


async def test_a_person_reads_and_sets_her_notifications(journey, site):
    trip = journey("notifications")
    page = await trip.person()
    await sign_in(trip, page, site.data["author"], site.data["password"], "sign-in")
    header = page.locator(".site-header")
    await trip.goto(page, f"/proposals/{site.data['proposal']}", "proposal")
    await expect(header.get_by_role("link", name=re.compile(r"^Notifications\s*2$"))).to_be_visible()
    await header.get_by_role("link", name=re.compile("^Notifications")).click()
    await expect(page).to_have_url(re.compile(r"/notifications$"))
    inbox = page.locator("#inbox")
    await expect(inbox.locator("li.unread")).to_have_count(2)
    await expect(inbox).to_contain_text("Inès a commenté la proposition")
    await trip.check(page, "inbox")
    await page.get_by_role("button", name="Tout marquer comme lu").click()
    await expect(inbox.locator("li.unread")).to_have_count(0)
    await expect(header.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    await page.get_by_label("Un nouveau commentaire sur ce que je suis").select_option("daily")
    await page.get_by_label("Langue de mes courriels").select_option("en")
    await page.get_by_role("button", name="Enregistrer mes réglages de courriels").click()
    await expect(page.get_by_label("Un nouveau commentaire sur ce que je suis")).to_have_value("daily")
    await expect(page.get_by_label("Langue de mes courriels")).to_have_value("en")
    await trip.check(page, "settings-saved")
    await trip.on_a_phone(page, "inbox-360")
    findings = {step: found for step, found in trip.findings.items() if found}
    assert not findings, "\n".join(f"{step}:\n{describe(found)}" for step, found in findings.items())
