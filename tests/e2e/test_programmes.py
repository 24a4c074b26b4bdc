"""Journey 5: a person creates a programme and assesses it against the current release (one theme
through its form, refused once without losing what was typed, the others through the API), submits
it and prints the report; a new release comes out of the co-design loop, they read what it changes
for them and start the next assessment from there, with their answers carried over."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from datetime import UTC, datetime

import httpx
from babel.dates import format_date

from tests.constants import SLUG
from tests.e2e.browser import ROOT, describe, expect, sign_in
from tests.server.live import child_environment

SCENARIO = "programmes"  # Camille, a practitioner with no programme yet
NAME = "Parrainage des Hauts"
THEME = "REC"  # the first theme, answered through the browser: REC-1 to REC-4
LEVELS = {"REC-1": "en place", "REC-2": "exemplaire", "REC-3": "en cours", "REC-4": "non applicable"}
EVIDENCE = "Notre annonce donne la **durée** de l'engagement."
JUSTIFICATION = "Nous ne recrutons que par les écoles partenaires."


async def publish_a_new_release(site) -> str:
    """The co-design loop publishes a release (REC-1 amended, REC-4 retired, REC-5 added), run by
    another process on the served SQLite file (it sits beside the server's log: conftest.py)."""
    database_url = f"sqlite:///{site.log.parent / 'e2e.db'}"
    env = child_environment(database_url, {"REFERENTIEL_PASSWORD_HASHING": "fast"})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.e2e.seed", "new-release", env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 180)
    assert process.returncode == 0, err.decode()
    return json.loads(out.decode().strip().splitlines()[-1])["version"]


async def until_the_server_serves(page, version: str) -> None:
    """The server's caches hear another process's writes by polling (every 50 ms): wait for it."""
    for _ in range(100):
        releases = await page.request.get(f"/api/v1/frameworks/{SLUG}/releases")
        if releases.ok and (await releases.json())[0]["version"] == version:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the server never served release {version}")


async def answer_the_other_themes_through_the_api(site, assessment: int) -> None:
    """Every indicator outside THEME, "in progress", through the JSON API with a token."""
    email, password = site.data["person"], site.data["password"]
    async with httpx.AsyncClient(base_url=f"{site.base}/api/v1") as api:
        token = await api.post("/tokens", json={"email": email, "password": password})
        assert token.status_code == 201, token.text
        headers = {"Authorization": f"Bearer {token.json()['token']}"}
        read = await api.get(f"/assessments/{assessment}", headers=headers)
        assert read.status_code == 200, read.text
        for answer in read.json()["answers"]:
            if answer["theme"] != THEME:
                body = {"level": "in_progress", "version": answer["version"]}
                path = f"/assessments/{assessment}/answers/{answer['indicator']}"
                saved = await api.put(path, json=body, headers=headers)
                assert saved.status_code == 200, saved.text


def level_choice(page, code: str, level: str):
    """The radio button of a level, in the indicator's fieldset ("en place" is also in "pas en place")."""
    return page.locator(f"#level-{code}").get_by_label(level, exact=True)


async def create_a_programme(trip, page) -> int:
    await page.locator(".site-header").get_by_role("link", name="Mes programmes").click()
    await expect(page.locator("h1")).to_have_text("Mes programmes")
    await expect(page.locator("main .empty")).to_contain_text("membre d'aucun programme")
    await trip.check(page, "programmes-none")
    await page.get_by_label("Nom du programme").fill(NAME)
    await page.get_by_label("Département").select_option(label="59 — Nord")
    await page.get_by_label("zone urbaine").check()
    await page.get_by_role("button", name="Créer le programme").click()
    await expect(page).to_have_url(re.compile(r"/programmes/\d+$"))
    await expect(page.locator("h1")).to_have_text(NAME)
    facts = page.locator("main .facts")
    await expect(facts).to_contain_text("59 — Nord")
    await expect(facts).to_contain_text("zone urbaine")
    await expect(facts).to_contain_text("administrateur ou administratrice du programme")
    await expect(page.locator("#assessments .empty")).to_be_visible()
    await trip.check(page, "programme")
    return int(page.url.rpartition("/")[2])


async def answer_the_first_theme_in_the_browser(trip, page) -> None:
    """Every indicator of THEME; REC-4 "not applicable" is refused once without a justification."""
    await page.get_by_role("link", name=f"Répondre au thème {THEME}").click()
    await expect(page.locator("h1")).to_contain_text(f"{THEME} — ")
    answers = page.locator("form.theme-form fieldset.indicator-answer")
    await expect(answers).to_have_count(len(LEVELS))
    await trip.check(page, "theme-form")
    for code, level in LEVELS.items():
        await level_choice(page, code, level).check()
    await page.locator("#evidence-REC-1").fill(EVIDENCE)
    await page.get_by_role("button", name="Enregistrer et passer au thème suivant").click()

    # Refused: the error beside REC-4's justification, tied to it, and nothing typed is lost.
    error = page.locator("#error-justification-REC-4")
    await expect(error).to_contain_text("« justification » est vide")
    justification = page.locator("#justification-REC-4")
    await expect(justification).to_have_attribute("aria-invalid", "true")
    await expect(justification).to_have_attribute("aria-describedby", "error-justification-REC-4")
    summary = page.locator(".error-summary")
    await expect(summary).to_contain_text("Vos réponses ne sont pas encore enregistrées")
    await expect(summary.get_by_role("link")).to_have_attribute("href", "#justification-REC-4")
    for code, level in LEVELS.items():
        await expect(level_choice(page, code, level)).to_be_checked()
    await expect(page.locator("#evidence-REC-1")).to_have_value(EVIDENCE)
    await expect(page.locator("#progress-bar")).to_have_attribute("value", "0")  # nothing saved
    await trip.check(page, "theme-refused")
    await trip.on_a_phone(page, "theme-refused-360")

    await justification.fill(JUSTIFICATION)
    await page.get_by_role("button", name="Enregistrer et passer au thème suivant").click()
    await expect(page).to_have_url(re.compile(r"/assessments/\d+/themes/SEL$"))
    await expect(page.locator("#progress-bar")).to_have_attribute("value", str(len(LEVELS)))


async def test_a_programme_assesses_itself_and_moves_to_a_new_release(journey, site):
    trip = journey("programmes")
    page = await trip.person()
    await sign_in(trip, page, site.data["person"], site.data["password"], "sign-in")

    # 1. A programme, created from "Mes programmes".
    programme = await create_a_programme(trip, page)
    await trip.goto(page, "/programmes", "programmes-one")
    row = page.locator("table.programme-table tbody tr")
    await expect(row).to_have_text(re.compile(rf"{NAME}\s*administrateur ou administratrice"))

    # 2. An assessment against the current release, from the programme's page.
    await page.get_by_role("link", name=NAME).click()
    await expect(page.locator("#start-release option:checked")).to_have_text("1.0.0 (en vigueur)")
    await page.get_by_role("button", name="Commencer l'auto-évaluation").click()
    await expect(page).to_have_url(re.compile(r"/assessments/\d+$"))
    assessment = int(page.url.rpartition("/")[2])
    total = await page.locator("#progress-bar").get_attribute("max")
    await expect(page.locator("#progress")).to_contain_text(f"0 sur {total} indicateurs renseignés")
    await expect(page.locator("#status")).to_contain_text("Brouillon")
    await trip.check(page, "assessment-new")

    # 3. One theme through its form, the others through the API; then submitted.
    await answer_the_first_theme_in_the_browser(trip, page)
    await answer_the_other_themes_through_the_api(site, assessment)
    await page.goto(f"/assessments/{assessment}")
    await expect(page.locator("#progress")).to_contain_text(f"{total} sur {total} indicateurs renseignés")
    await expect(page.locator("#answer-REC-1 .evidence strong")).to_have_text("durée")
    await expect(page.locator("#answer-REC-4")).to_contain_text(JUSTIFICATION)
    await trip.check(page, "assessment-answered")
    await page.get_by_role("button", name="Soumettre l'auto-évaluation").click()
    await expect(page).to_have_url(re.compile(rf"/assessments/{assessment}#status$"))

    # 4. The submitted assessment: its hash, the chart and the table of the same figures.
    facts = page.locator("#status")
    await expect(facts).to_contain_text("Soumise")
    hash_row = facts.locator("div", has_text="Empreinte du contenu de l'auto-évaluation")
    await expect(hash_row.locator("code.hash")).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    await expect(page.locator("#summary svg[role='img']")).to_be_visible()
    rec = page.locator(".summary-table tbody tr", has_text=f"{THEME} — ")
    # Levels in the scale's order, then "not answered": REC-3, REC-1, REC-2, REC-4 once each.
    await expect(rec.locator("td")).to_have_text(["0", "1", "1", "1", "1", "0"])
    await expect(page.locator("#form-submit")).to_have_count(0)
    await expect(page.locator(".theme-link")).to_have_count(0)  # frozen: no theme form any more
    await trip.check(page, "assessment-submitted")
    await trip.on_a_phone(page, "assessment-submitted-360")

    # On paper: what identifies the report, without the menu and the forms.
    await page.emulate_media(media="print")
    await trip.check(page, "assessment-print")
    for hidden in (".site-header nav", ".breadcrumb", ".downloads", "#form-add-action", "#share-links"):
        await expect(page.locator(hidden)).to_be_hidden()
    for shown in (NAME, "Version 1.0.0", format_date(datetime.now(UTC), "long", locale="fr")):
        await expect(facts).to_contain_text(shown)
    await expect(hash_row).to_be_visible()
    await expect(page.locator("#summary svg[role='img']")).to_be_visible()
    await page.emulate_media(media="screen")

    # 5. A new release, published by the co-design loop in another process.
    version = await publish_a_new_release(site)
    await until_the_server_serves(page, version)

    # 6. What it changes for the programme, then the next assessment started from there.
    await page.goto(f"/programmes/{programme}")
    await page.get_by_role("link", name="Ce qu'une nouvelle version change pour nous").click()
    await expect(page.locator("h1")).to_contain_text(f"Ce que la version {version} change pour")
    changed = page.locator("article.changed", has=page.locator("#changed-REC-1"))
    await expect(changed.locator("dd.diff ins", has_text="énoncé")).to_be_visible()  # word by word
    await expect(changed.locator("dd.diff del").first).to_be_visible()
    await expect(changed).to_contain_text("Votre réponse : en place")
    await expect(page.locator("section[aria-labelledby='added-title'] li")).to_contain_text(["REC-5"])
    retired = page.locator("section[aria-labelledby='retired-title'] li")
    await expect(retired).to_contain_text(["REC-4"])
    await expect(retired).to_contain_text(["Votre réponse : non applicable"])
    await trip.check(page, "changes")
    await trip.on_a_phone(page, "changes-360")
    start = f"Commencer l'auto-évaluation suivante sur la version {version}"
    await page.get_by_role("button", name=start).click()
    await expect(page).to_have_url(re.compile(r"/assessments/\d+$"))
    assert int(page.url.rpartition("/")[2]) != assessment

    # The new draft: answers carried over, REC-1's to review, REC-5 to answer, REC-4 archived.
    await expect(page.locator("#status")).to_contain_text("Brouillon")
    await expect(page.locator("#status")).to_contain_text(f"Version {version}")
    await expect(page.locator("#answer-REC-2")).to_contain_text("exemplaire")
    await expect(page.locator("#answer-REC-2 .badge.carried")).to_have_text("reprise")
    await expect(page.locator("#answer-REC-1 .badge.review")).to_have_text("à revoir")
    await expect(page.locator("#answer-REC-5 .level-none")).to_have_text("Sans réponse")
    await expect(page.locator("#progress .notice")).to_contain_text("1 réponse reprise est à revoir")
    await expect(page.locator("#themes #answer-REC-4")).to_have_count(0)
    archived = page.locator("#archived")
    await expect(archived).to_contain_text("REC-4")
    await expect(archived).to_contain_text(JUSTIFICATION)
    await trip.check(page, "next-assessment")

    # REC's form: REC-1 flagged with what changed in it, REC-5 with no level chosen, REC-4 gone.
    await page.get_by_role("link", name=f"Répondre au thème {THEME}").click()
    review = page.locator("#indicator-REC-1 .notice.review")
    await expect(review).to_contain_text("Cet indicateur a changé depuis votre auto-évaluation précédente")
    await expect(review.locator("dd.diff ins", has_text="énoncé")).to_be_visible()
    await expect(level_choice(page, "REC-1", "en place")).to_be_checked()
    await expect(page.locator("#evidence-REC-1")).to_have_value(EVIDENCE)
    await expect(page.locator("#level-REC-5 input:checked")).to_have_count(0)
    await expect(page.locator("#indicator-REC-4")).to_have_count(0)
    await trip.check(page, "theme-to-review")

    # Not even a moderate or minor finding on any of these pages (check() stops at serious ones).
    findings = {step: found for step, found in trip.findings.items() if found}
    assert not findings, "\n".join(f"{step}:\n{describe(found)}" for step, found in findings.items())
