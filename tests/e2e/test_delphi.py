"""Journey 7: Delphi rounds. A steward opens a process on two proposals of the REC working group;
its three members rate them; the close classifies one as retained and the other, on which the panel
is split, as to re-rate; in the second round each member sees the panel's distribution, their own
earlier rating and the anonymous comments, and rates again; the steward concludes, and the retained
proposals are published together as one release whose page links the process's report."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.constants import SLUG
from tests.e2e.browser import describe, expect, sign_in

SCENARIO = "delphi"
SPLIT = "Le temps mensuel dépend trop des structures."


async def rate(
    trip, page, proposal: int, relevance: str, feasibility: str, step: str, comment: str = ""
) -> None:
    item = page.locator(f"#item-{proposal}")
    await (
        item.get_by_role("group", name=re.compile("^Pertinence")).get_by_label(relevance, exact=True).check()
    )
    await (
        item.get_by_role("group", name=re.compile("^Faisabilité"))
        .get_by_label(feasibility, exact=True)
        .check()
    )
    if comment:
        await item.get_by_label(re.compile("^Votre commentaire")).fill(comment)
    await item.get_by_role("button", name=re.compile("mes cotations")).click()
    await expect(page).to_have_url(re.compile(rf"/delphi/1\?saved={proposal}#item-{proposal}$"))
    await expect(page.locator(f"#item-{proposal} .saved")).to_be_visible()
    await trip.check(page, step)


async def test_a_panel_rates_in_two_rounds_and_the_retained_are_published(journey, site):
    trip = journey("delphi")
    password = site.data["password"]
    first, second = site.data["proposals"]

    # 1. The steward opens a process from the working groups page.
    steward = await trip.person()
    await sign_in(trip, steward, site.data["steward"], password, "steward-sign-in")
    await trip.goto(steward, "/steward/working-groups", "groups")
    await steward.get_by_role("link", name=re.compile("Ouvrir une démarche Delphi")).click()
    await expect(steward.locator("h1")).to_contain_text("Ouvrir une démarche Delphi pour GT Recrutement")
    await steward.get_by_label("Titre").fill("Sélection 2027")
    await steward.get_by_label(re.compile(f"^#{first} ")).check()
    await steward.get_by_label(re.compile(f"^#{second} ")).check()
    closes = (datetime.now(UTC) + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    await steward.get_by_label("Clôture du premier tour (UTC)").fill(closes)
    await steward.get_by_label(re.compile("^Consignes au panel")).fill("Cotez **chaque** proposition.")
    await trip.check(steward, "open-form")
    await steward.get_by_role("button", name="Ouvrir la démarche").click()
    await expect(steward).to_have_url(re.compile(r"/delphi/1$"))
    await expect(steward.locator("h1")).to_have_text("Sélection 2027")
    await expect(steward.locator("#rating")).to_contain_text(
        "0 membres sur 3 ont coté toutes les propositions"
    )
    await trip.check(steward, "process-steward")

    # 2. The three members rate: the first proposal appropriate, the second split on relevance.
    members = []
    for number, (email, split) in enumerate(zip(site.data["panel"], ("1", "9", "5"), strict=True)):
        member = await trip.person()
        await sign_in(trip, member, email, password, f"member-{number}-sign-in")
        await trip.goto(member, "/delphi/1", f"member-{number}-process")
        await rate(trip, member, first, "8", "9", f"member-{number}-rated-first")
        comment = SPLIT if number == 0 else ""
        await rate(trip, member, second, split, "7", f"member-{number}-rated-second", comment)
        members.append(member)

    # 3. The steward closes the round: retained, and to re-rate.
    await steward.reload()
    await expect(steward.locator("#rating")).to_contain_text("3 membres sur 3")
    await steward.get_by_role("button", name="Clore le tour 1").click()
    figures = steward.locator("table.delphi-figures").first
    await expect(figures.locator("tbody tr", has_text=f"#{first}").first).to_contain_text("retenue")
    await expect(figures.locator("tbody tr", has_text=f"#{second}").first).to_contain_text("à recoter")
    await trip.check(steward, "round-1-closed")
    await steward.get_by_role("button", name=re.compile("Ouvrir le tour 2")).click()
    await expect(steward.locator("#rating h2")).to_contain_text("Tour 2")

    # 4. Round 2: a member sees the panel's figures, their own earlier rating and the comments,
    # without names, and everyone agrees this time.
    for number, member in enumerate(members):
        await member.goto("/delphi/1")
        feedback = member.locator(f"#item-{second} .delphi-feedback")
        await expect(feedback).to_contain_text("Le panel au tour 1")
        await expect(feedback).to_contain_text("médiane 5")
        await expect(feedback).to_contain_text(f"votre cote : {('1', '9', '5')[number]}")
        await expect(feedback.locator(".delphi-comments")).to_have_text(SPLIT)
        await expect(member.locator(f"#item-{first}")).to_have_count(0)
        await rate(trip, member, second, "8", "8", f"member-{number}-round-2")

    # 5. The steward closes round 2 and concludes: one release for the retained proposals.
    await steward.goto("/delphi/1")
    await steward.get_by_role("button", name="Clore le tour 2").click()
    await steward.get_by_role("button", name="Conclure la démarche").click()
    outcome = steward.locator("#outcome")
    await expect(outcome).to_contain_text("publiées ensemble dans la version 1.1.0")
    await trip.check(steward, "concluded")
    await outcome.get_by_role("link", name="Version 1.1.0").click()
    await expect(steward).to_have_url(re.compile(rf"/frameworks/{SLUG}/releases/1.1.0$"))
    await expect(steward.locator("section.delphi-release")).to_contain_text("Sélection 2027")
    await trip.check(steward, "release")

    # 6. The report is public, with its files; it names no rater.
    reader = await trip.person()
    await trip.goto(reader, "/delphi/1/report", "report")
    await expect(reader.locator("h1")).to_contain_text("Rapport de la démarche Delphi")
    for name in ("Inès", "Yanis", "Chloé"):
        await expect(reader.locator("main")).not_to_contain_text(name)
    await trip.on_a_phone(reader, "report-360")
    await trip.goto(reader, f"/proposals/{first}", "proposal-decided")
    await expect(reader.locator("#vote")).to_contain_text("a retenu cette proposition par des tours Delphi")

    findings = {step: found for step, found in trip.findings.items() if found}
    assert not findings, "\n".join(f"{step}:\n{describe(found)}" for step, found in findings.items())
