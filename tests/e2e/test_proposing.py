"""Journey 2: a practitioner registers, signs in, proposes an amendment (with its preview as a diff)
and replies to a comment someone else left on it."""

from __future__ import annotations

import re

import httpx

from tests.constants import SLUG
from tests.e2e.browser import assert_focus_visible, expect, sign_in

SCENARIO = "proposing"  # a steward, and Mehdi who will comment
TITLE = "Dire aux candidats le temps à prévoir chaque mois"
RATIONALE = "Les candidats renoncent quand ils découvrent **tard** le temps demandé."
ADDED = "Ils indiquent aussi le nombre d'heures à prévoir chaque mois."


async def comment_through_the_api(base: str, email: str, password: str, proposal: int, body: str) -> int:
    async with httpx.AsyncClient(base_url=f"{base}/api/v1") as api:
        token = await api.post("/tokens", json={"email": email, "password": password})
        assert token.status_code == 201, token.text
        headers = {"Authorization": f"Bearer {token.json()['token']}"}
        made = await api.post(f"/proposals/{proposal}/comments", json={"body": body}, headers=headers)
        assert made.status_code == 201, made.text
        return made.json()["id"]


async def test_a_practitioner_proposes_an_amendment_and_answers_a_comment(journey, site):
    trip = journey("proposing")
    password = site.data["password"]
    page = await trip.person()

    # Registration, which leads to signing in (the same answer whether the address was new or
    # taken: nobody learns who is registered), then signing out and in again.
    await trip.goto(page, "/", "home")
    await page.get_by_role("link", name="Créer un compte").first.click()
    await trip.check(page, "register-form")
    await page.locator("#field-email").fill("awa@example.org")
    await page.locator("#field-password").fill(password)
    await page.locator("#field-display_name").fill("Awa")
    await page.locator("#field-organisation").fill("Asso Mentorat")
    await page.get_by_role("button", name="Créer mon compte").click()
    await page.wait_for_url("**/sign-in?registered=1**")
    await expect(page.locator("main .notice")).to_contain_text("le vôtre est prêt")
    await expect(page.locator("#field-email")).to_have_value("awa@example.org")
    await trip.check(page, "registered")
    await page.locator("#field-password").fill(password)
    await page.locator("main form").get_by_role("button", name="Se connecter").click()
    await page.wait_for_url("**/account")  # signed in, on the new account's page
    await expect(page.locator(".site-header")).to_contain_text("Mon compte")
    await expect(page.locator("main")).to_contain_text("awa@example.org")
    await trip.check(page, "account")
    await page.get_by_role("button", name="Se déconnecter").click()
    await expect(page.locator(".site-header")).to_contain_text("Se connecter")
    await sign_in(trip, page, "awa@example.org", password, "sign-in")
    await trip.check(page, "signed-in")

    # From the indicator to the proposal form, prefilled with its current text.
    await page.goto(f"/frameworks/{SLUG}/indicators/REC-1")
    await page.get_by_role("link", name="Proposer une modification de REC-1").click()
    await expect(page.locator("h1")).to_have_text("Proposer un changement")
    statement = page.locator("#field-content_statement")
    current = await statement.input_value()
    assert "durée minimale" in current
    await trip.check(page, "proposal-form")
    await page.locator("#field-title").fill(TITLE)
    await page.keyboard.press("Tab")  # the focus shows on every kind of control
    await expect(page.locator("#field-rationale")).to_be_focused()
    await assert_focus_visible(page)
    await page.locator("#field-rationale").fill(RATIONALE)
    await statement.fill(f"{current} {ADDED}")

    # The preview: the change as a diff, nothing saved yet.
    await page.get_by_role("button", name="Aperçu").click()
    preview = page.locator("#preview")
    await expect(preview).to_contain_text("Aperçu du changement")
    await expect(preview.locator("ins")).to_contain_text(ADDED)
    await expect(preview.locator("ins .mark").first).to_have_text("{+")
    await expect(page.locator("#field-title")).to_have_value(TITLE)  # the form keeps what was typed
    await trip.check(page, "preview")
    await trip.on_a_phone(page, "preview-360")

    # Submitted: the proposal's page.
    await page.get_by_role("button", name="Soumettre la proposition").click()
    await expect(page).to_have_url(re.compile(r"/proposals/\d+$"))
    proposal = int(page.url.rpartition("/")[2])
    await expect(page.locator("h1")).to_have_text(f"Proposition n° {proposal} : {TITLE}")
    await expect(page.locator("#status")).to_contain_text("En discussion")
    await expect(page.locator("#change ins")).to_contain_text(ADDED)
    await expect(page.locator("#rationale strong")).to_have_text("tard")
    await trip.check(page, "proposal")

    # Someone else comments; the author replies to that comment.
    comment = await comment_through_the_api(
        site.base, site.data["commenter"], password, proposal, "Combien d'heures *en moyenne* ?"
    )
    await page.reload()
    first = page.locator(f"#comment-{comment}")
    await expect(first).to_contain_text("Mehdi")
    await expect(first.locator("em")).to_have_text("en moyenne")
    await first.locator("details.reply > summary").click()
    await first.get_by_label("Votre réponse").fill("Quatre heures par mois, d'après *notre* enquête.")
    await trip.check(page, "reply-form")
    await first.get_by_role("button", name="Publier la réponse").click()
    await expect(page).to_have_url(re.compile(rf"/proposals/{proposal}#comment-\d+$"))
    reply = page.locator(f"#comment-{page.url.rpartition('-')[2]}")
    await expect(reply).to_have_class(re.compile(r"\bdepth-1\b"))
    await expect(reply).to_contain_text("Awa")
    await expect(reply).to_contain_text(f"en réponse au commentaire n° {comment}")
    await expect(reply.locator("em")).to_have_text("notre")
    await trip.check(page, "replied")
    await trip.on_a_phone(page, "replied-360")
