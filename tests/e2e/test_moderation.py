"""Journey 4: a steward hides a comment with a reason, and makes a practitioner a working-group member."""

from __future__ import annotations

from tests.e2e.browser import expect, sign_in

SCENARIO = "moderation"  # Awa's proposal, with Bruno's off-topic comment; Camille, a practitioner

REASON = "Publicité sans rapport avec la proposition"


async def test_a_steward_hides_a_comment_and_grants_a_role(journey, site):
    trip = journey("moderation")
    password, comment = site.data["password"], site.data["comment"]
    url = f"/proposals/{site.data['proposal']}"

    # The steward hides the comment, giving the reason.
    steward = await trip.person()
    await sign_in(trip, steward, site.data["steward"], password, "steward-sign-in")
    await trip.goto(steward, url, "proposal")
    item = steward.locator(f"#comment-{comment}")
    await expect(item).to_contain_text("Achetez mes formations en ligne !")
    await item.locator("details.moderation > summary").click()
    await item.get_by_label("Raison du masquage").fill(REASON)
    await trip.check(steward, "hide-form")
    await trip.on_a_phone(steward, "hide-form-360")
    await item.get_by_role("button", name="Masquer le commentaire").click()
    await expect(steward).to_have_url(f"{site.base}{url}#comment-{comment}")
    hidden = item.locator(".hidden-comment")
    await expect(hidden).to_contain_text("Masqué par Intendante")
    await expect(hidden).to_contain_text(REASON)
    await trip.check(steward, "hidden")

    # Anyone sees where it was and why, never what it said.
    visitor = await trip.person()
    await trip.goto(visitor, url, "hidden-for-visitors")
    item = visitor.locator(f"#comment-{comment}")
    await expect(item.locator(".hidden-comment")).to_contain_text(REASON)
    await expect(visitor.locator("main")).not_to_contain_text("formations en ligne")
    await expect(visitor.locator("main")).to_contain_text("les abandons ont baissé")  # the others stay

    # The steward makes Camille a working-group member.
    await trip.goto(steward, "/steward/accounts", "accounts")
    row = steward.locator(f"#account-{site.data['practitioner']}")
    await expect(row.get_by_role("rowheader")).to_have_text("Camille")
    role = row.get_by_label("Rôle de Camille")
    await expect(role).to_have_value("practitioner")
    await role.select_option("member")
    await row.get_by_role("button", name="Changer le rôle de Camille").click()
    camille = site.data["practitioner"]
    await expect(steward).to_have_url(f"{site.base}/steward/accounts?saved={camille}#account-{camille}")
    await expect(steward.get_by_role("status")).to_contain_text(
        "Enregistré : Camille est membre d'un groupe de travail, avec un compte actif."
    )
    await expect(steward.locator(f"#account-{site.data['practitioner']}-role")).to_have_value("member")
    await trip.check(steward, "role-granted")
    await trip.on_a_phone(steward, "role-granted-360")

    # Both are in the audit log.
    await trip.goto(steward, "/steward/audit", "audit")
    log = steward.locator("table.audit tbody")
    await expect(log.locator("tr").first).to_contain_text("rôle changé")
    await expect(log).to_contain_text("commentaire masqué")
    await trip.on_a_phone(steward, "audit-360")

    # Camille sees her new role.
    camille = await trip.person()
    await sign_in(trip, camille, "camille@example.org", password, "camille-sign-in")
    await trip.goto(camille, "/account", "camille-account")
    await expect(camille.locator("main")).to_contain_text("membre d'un groupe de travail")
