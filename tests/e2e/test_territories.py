"""Journey 6: territories. A person registers with a department and a kind of territory, comments on
a proposal and sees its participation panel change (Corsica's figures staying masked under 5); a
steward sees the territories with no voice yet; Corsica's network declares an indicator not
applicable there, and the adaptation and the national indicator page show it; the participation
dashboard of the release cycle, with its tile map."""

from __future__ import annotations

import asyncio
import json
import re
import sys

from tests.constants import SLUG
from tests.e2e.browser import ROOT, describe, expect, sign_in
from tests.server.live import child_environment

SCENARIO = "territories"  # an amendment of REC-1 with 5 people from the Nord; Corsica's network
EMAIL = "lea@example.org"
COMMENT = "En Corse-du-Sud, les trajets comptent autant que le temps de mentorat."
REASON = "Ici, les binômes se voient **en visio** : les trajets ne sont pas un frein."
MASKED = "<5moins de 5"  # a cell under 5: "<5" shown, "moins de 5" read aloud
PARTICIPANTS = re.compile(r"(\d+) personnes? (?:a|ont) pris part")

async def run_scenario(site, scenario: str) -> dict:
    """A seed scenario run by another process on the served SQLite file (beside the server's log)."""
    database_url = f"sqlite:///{site.log.parent / 'e2e.db'}"
    env = child_environment(database_url, {"REFERENTIEL_PASSWORD_HASHING": "fast"})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.e2e.seed", scenario, env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 180)
    assert process.returncode == 0, err.decode()
    return json.loads(out.decode().strip().splitlines()[-1])


async def until_published(page, adaptation: int, version: int) -> None:
    """The server's caches hear another process's writes by polling (every 50 ms): wait for it."""
    for _ in range(100):
        read = await page.request.get(f"/api/v1/adaptations/{adaptation}")
        if read.ok and (await read.json())["version"] == version:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the server never served version {version} of adaptation {adaptation}")


async def read_panel(page) -> tuple[int, list[str]]:
    """The participation panel, opened: the number of participants, and Corsica's cells."""
    panel = page.locator("#participation")
    await expect(panel.get_by_role("heading", name="Qui a pris part, par territoire")).to_be_visible()
    details = panel.locator("details.participation-details")
    if await details.get_attribute("open") is None:
        await details.locator("summary").click()
    corse = panel.locator("table.participation-table").first.locator("tbody tr", has_text="Corse")
    await expect(corse).to_be_visible()
    found = PARTICIPANTS.search(await panel.locator("p").first.inner_text())
    assert found, await panel.locator("p").first.inner_text()
    return int(found[1]), await corse.locator("td").all_text_contents()


async def register_in_corsica(trip, page, password: str) -> None:
    await trip.goto(page, "/register", "register-form")
    await page.get_by_label("Adresse e-mail").fill(EMAIL)
    await page.get_by_label("Mot de passe").fill(password)
    await page.get_by_label("Nom affiché").fill("Léa")
    await page.get_by_label("Structure").fill("Mentorat Sud Corse")
    await page.get_by_label("Département", exact=True).select_option(label="2A — Corse-du-Sud")
    await page.get_by_label("zone rurale").check()
    await trip.check(page, "register-filled")
    await page.get_by_role("button", name="Créer mon compte").click()
    await page.wait_for_url("**/sign-in?registered=1**")
    await page.get_by_label("Mot de passe").fill(password)
    await page.locator("main form").get_by_role("button", name="Se connecter").click()
    await page.wait_for_url("**/account")
    # The account page's profile form says where they are.
    profile = page.locator("#profile")
    await expect(profile.get_by_label("Département", exact=True)).to_have_value("2A")
    await expect(profile.get_by_label("Département", exact=True).locator("option:checked")).to_have_text(
        "2A — Corse-du-Sud"
    )
    await expect(profile.get_by_label("zone rurale")).to_be_checked()
    await expect(profile.get_by_label("zone urbaine")).not_to_be_checked()
    await trip.check(page, "account")


async def test_territories_are_heard_and_adapt_the_framework(journey, site):
    trip = journey("territories")
    password, proposal, adaptation = site.data["password"], site.data["proposal"], site.data["adaptation"]

    # 1. Léa registers from Corse-du-Sud, a rural area, and signs in.
    page = await trip.person()
    await register_in_corsica(trip, page, password)

    # 2. The proposal's participation panel, before and after her comment: one more participant,
    # Corsica's figures masked all along (under 5), and Corsica still among the territories not heard.
    await trip.goto(page, f"/proposals/{proposal}", "proposal-before")
    before, corse = await read_panel(page)
    assert before == 5, before  # Awa and 4 commenters, all from the Nord
    assert corse == [MASKED] * 4, corse
    await expect(page.locator("figure.tilemap img")).to_be_visible()
    await trip.check(page, "proposal-panel-open")
    await page.get_by_label("Votre commentaire").fill(COMMENT)
    await page.get_by_role("button", name="Publier le commentaire").click()
    await expect(page).to_have_url(re.compile(rf"/proposals/{proposal}#comment-\d+$"))
    await expect(page.locator("#comments")).to_contain_text(COMMENT)
    after, corse = await read_panel(page)
    assert after == before + 1, (before, after)
    assert corse == [MASKED] * 4, corse  # nothing exact about Corsica, though Léa is from there
    unheard = page.locator("#participation ul.unheard-list")
    await expect(unheard).to_contain_text("Corse")
    await expect(unheard).not_to_contain_text("Hauts-de-France")  # 5 people from the Nord
    await trip.check(page, "proposal-after")

    # 3. The steward sees which territories have had no voice yet, above the vote's controls.
    steward = await trip.person()
    await sign_in(trip, steward, site.data["steward"], password, "steward-sign-in")
    await trip.goto(steward, f"/proposals/{proposal}", "proposal-steward")
    contacts = steward.locator("#unheard-contacts")
    await expect(contacts).to_contain_text("Aucune voix encore de :")
    await expect(contacts).to_contain_text("Corse")
    await expect(contacts).to_contain_text("Bretagne")
    await expect(contacts).not_to_contain_text("Hauts-de-France")

    # 4. A member of Corsica's network declares REC-2 not applicable there, with a reason.
    member = await trip.person()
    await sign_in(trip, member, site.data["network"][0], password, "network-sign-in")
    await trip.goto(member, f"/adaptations/{adaptation}/proposals/new", "adaptation-choice")
    await expect(member.locator("h1")).to_contain_text("Mentorat en Corse")
    await member.get_by_label("Déclarer un indicateur non applicable ici").check()
    await member.get_by_label("Indicateur à modifier, retirer ou confirmer").select_option("REC-2")
    await member.get_by_role("button", name="Continuer").click()
    await member.get_by_label("Titre de votre proposition").fill("REC-2 ne s'applique pas en Corse")
    await member.get_by_label("Pourquoi ce changement ? (justification)").fill(REASON)
    await trip.check(member, "adaptation-proposal-form")
    await member.get_by_role("button", name="Soumettre la proposition").click()
    await expect(member).to_have_url(re.compile(r"/proposals/\d+$"))
    await expect(member.locator("#adaptation")).to_contain_text("Mentorat en Corse")
    await expect(member.locator("#status")).to_contain_text("En discussion")
    await trip.check(member, "adaptation-proposal")

    # The network votes for it and it is decided (another process, to keep the journey short).
    decided = await run_scenario(site, "network-decides")
    assert decided["status"] == "accepted", decided
    await until_published(member, adaptation, 1)

    # The adaptation says it in plain words, with the reason.
    await trip.goto(member, f"/adaptations/{adaptation}", "adaptation")
    await expect(member.locator("h1")).to_have_text("Mentorat en Corse")
    await expect(member.locator("dl.adaptation-facts")).to_contain_text("Version 1, publiée le")
    change = member.locator("article.adaptation-change.not_applicable")
    await expect(change).to_have_count(1)
    await expect(change.locator("h3")).to_contain_text("REC-2")
    await expect(change).to_contain_text("Non applicable ici, parce que :")
    await expect(change.locator(".reason strong")).to_have_text("en visio")
    await expect(change.locator(".reason")).to_contain_text("les trajets ne sont pas un frein")

    # The national indicator page says where it is adapted, with a link there.
    await trip.goto(member, f"/frameworks/{SLUG}/indicators/REC-2", "indicator")
    adapted = member.locator("section.adapted-in")
    await expect(adapted.locator("h2")).to_have_text("Adapté dans 1 territoire")
    await expect(adapted).to_contain_text("non applicable sur ce territoire")
    link = adapted.get_by_role("link", name="Mentorat en Corse")
    await expect(link).to_have_attribute("href", f"/adaptations/{adaptation}")
    await link.click()
    await expect(member).to_have_url(re.compile(rf"/adaptations/{adaptation}$"))

    # 5. The participation dashboard of the release cycle, its tile map drawn.
    await member.goto(f"/frameworks/{SLUG}/participation")
    await trip.check(member, "dashboard")
    await expect(member.locator("h1")).to_contain_text("Qui a pris part")
    tile_map = member.locator("figure.tilemap img")
    await expect(tile_map).to_be_visible()
    assert await tile_map.evaluate("img => img.complete && img.naturalWidth > 0"), "the tile map did not load"
    await expect(member.locator("table.participation-table").first).to_be_visible()
    await trip.on_a_phone(member, "dashboard-360")

    # 6. Not even a moderate or minor finding on any of these pages (check() stops at serious ones).
    findings = {step: found for step, found in trip.findings.items() if found}
    assert not findings, "\n".join(f"{step}:\n{describe(found)}" for step, found in findings.items())
