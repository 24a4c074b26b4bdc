"""Journey 3: a steward opens the vote, the working group's members vote, the steward closes it; the
new release shows on the home page, in the list of releases and in the feed, linked to its debate."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from tests.constants import SLUG
from tests.e2e.browser import expect, sign_in

SCENARIO = "voting"  # GT Recrutement (2 members) answers for REC; Awa's amendment of REC-1 in discussion
ADDED = "Ils précisent aussi le temps à prévoir chaque mois."  # by the amendment (tests/e2e/seed.py)
ATOM = {"a": "http://www.w3.org/2005/Atom"}


async def test_members_vote_and_the_accepted_change_is_published(journey, site):
    trip = journey("voting")
    password, proposal = site.data["password"], site.data["proposal"]
    url = f"/proposals/{proposal}"

    # The steward opens the vote.
    steward = await trip.person()
    await sign_in(trip, steward, site.data["steward"], password, "steward-sign-in")
    await trip.goto(steward, url, "in-discussion")
    await expect(steward.locator("#status")).to_contain_text("En discussion")
    await steward.get_by_role("button", name="Ouvrir le vote").click()
    await expect(steward).to_have_url(re.compile(rf"{url}#vote$"))
    await expect(steward.locator("#status")).to_contain_text("En cours de vote")
    await expect(steward.locator("#form-vote")).to_have_count(0)  # the steward is not in the group
    await trip.check(steward, "vote-opened")

    # Each member of the working group votes, in their own browser.
    for number, email in enumerate(site.data["members"], 1):
        member = await trip.person()
        await sign_in(trip, member, email, password, f"member{number}-sign-in")
        await member.goto(url)
        vote = member.locator("#form-vote")
        await vote.get_by_label("Pour").check()
        await vote.get_by_label("Votre raison (facultatif)").fill("Plus clair pour les candidats.")
        await trip.check(member, f"member{number}-ballot")
        if number == 1:
            await trip.on_a_phone(member, "member1-ballot-360")
        await vote.get_by_role("button", name="Voter").click()
        await expect(member.locator("#form-vote")).to_contain_text("Votre vote actuel : pour")
        await expect(member.locator("#vote-for")).to_be_checked()
        await expect(member.locator("#tally")).to_have_count(0)  # secret until the decision
        await trip.check(member, f"member{number}-voted")

    # The steward closes the vote: accepted, published at once.
    await steward.reload()
    voted = steward.locator(".vote-facts div", has_text="Membres ayant voté")
    await expect(voted.locator("dd")).to_have_text("2")
    await steward.get_by_role("button", name="Clore le vote et décider maintenant").click()
    await expect(steward.locator("#status")).to_contain_text("Acceptée")
    tally = steward.locator("#tally")
    await expect(tally.locator("div", has_text="Pour").locator("dd")).to_have_text("2")
    await expect(tally.locator("div", has_text="Quorum atteint").locator("dd")).to_have_text("oui")
    published = steward.get_by_role("link", name="Publiée dans la version 1.1.0").first
    await expect(published).to_have_attribute("href", f"/frameworks/{SLUG}/releases/1.1.0")
    await trip.check(steward, "decided")
    await trip.on_a_phone(steward, "decided-360")

    # A visitor sees the new release on the home page...
    visitor = await trip.person()
    await trip.goto(visitor, "/", "home-new-release")
    facts = visitor.locator(".release-facts")
    await expect(facts).to_contain_text("1.1.0")
    await expect(facts.locator(".badge.current")).to_be_visible()
    await visitor.locator(f'a[href="/frameworks/{SLUG}/releases/1.1.0/indicators/REC-1"]').click()
    await expect(visitor.locator("main")).to_contain_text(ADDED)
    await expect(visitor.locator(".history")).to_contain_text(f"Proposition n° {proposal}")
    await trip.check(visitor, "indicator-new-release")

    # ...in the list of releases, whose changelog links back to the debate...
    await trip.goto(visitor, f"/frameworks/{SLUG}/releases", "releases")
    newest = visitor.locator("ol.releases > li").first
    await expect(newest).to_contain_text("Version 1.1.0")
    await expect(newest.locator(".badge.current")).to_have_text("en vigueur")
    await newest.get_by_role("link", name=f"Proposition n° {proposal} et son débat").click()
    await expect(visitor).to_have_url(re.compile(rf"{url}$"))
    await expect(visitor.locator("#comments")).to_be_visible()
    await trip.check(visitor, "debate")

    # ...and in the feed, which the releases page announces.
    await visitor.goto(f"/frameworks/{SLUG}/releases")
    feed_link = visitor.locator('head link[rel="alternate"][type="application/atom+xml"]')
    feed_path = await feed_link.get_attribute("href")
    assert feed_path == f"/frameworks/{SLUG}/releases.atom"
    feed = await visitor.request.get(feed_path)
    assert feed.ok and feed.headers["content-type"].startswith("application/atom+xml")
    entries = ET.fromstring(await feed.body()).findall("a:entry", ATOM)
    assert [e.find("a:title", ATOM).text.rsplit(" ", 1)[1] for e in entries] == ["1.1.0", "1.0.0"]
    links = {link.get("rel"): link.get("href") for link in entries[0].findall("a:link", ATOM)}
    assert links["alternate"] == f"{site.base}/frameworks/{SLUG}/releases/1.1.0"
    assert links["related"] == f"{site.base}{url}"
