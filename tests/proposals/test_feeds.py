"""Atom feeds: the proposals of a framework (opened, decided) and one indicator's revisions."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # nosec B405: parsing our own server's answer in a test

import pytest

from proposals.voting import decide_proposal
from tests.constants import SLUG
from tests.proposals.factories import (
    add_proposal,
    amend_proposal,
    make_account,
    make_group,
    make_steward,
    voted,
)

ATOM = "{http://www.w3.org/2005/Atom}"


def entries(text: str) -> list[tuple[str, str]]:
    feed = ET.fromstring(text)  # nosec B314
    return [(e.find(f"{ATOM}id").text, e.find(f"{ATOM}title").text) for e in feed.findall(f"{ATOM}entry")]


@pytest.mark.usefixtures("db")
async def test_the_proposals_feed_tells_openings_and_decisions(client):
    members = await make_group()
    steward = await make_steward()
    author = await make_account()
    first = await add_proposal(author, title="Ajouter <des> objectifs & plus")
    second = await amend_proposal(author, "REC-1")
    after = await voted(second, members, ["for"] * 3, steward)
    await decide_proposal(None, second.id, now=after)
    answer = await client.get(f"/frameworks/{SLUG}/proposals.atom")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/atom+xml")
    found = entries(answer.text)
    assert [title.split(":")[0].strip() for _id, title in found] == [
        f"Proposition n° {second.id} acceptée",
        f"Proposition n° {second.id} ouverte",
        f"Proposition n° {first.id} ouverte",
    ]
    assert found[2][1].endswith("Ajouter <des> objectifs & plus")  # escaped in the XML, read back as written
    assert (await client.get("/frameworks/nope/proposals.atom")).status_code == 404


@pytest.mark.usefixtures("db")
async def test_an_indicator_feed_lists_its_revisions(client):
    members = await make_group()
    steward = await make_steward()
    proposal = await amend_proposal(await make_account(), "REC-1")
    after = await voted(proposal, members, ["for"] * 3, steward)
    await decide_proposal(None, proposal.id, now=after)
    answer = await client.get(f"/frameworks/{SLUG}/indicators/REC-1.atom")
    assert answer.status_code == 200
    found = entries(answer.text)
    assert [entry_id.rsplit("#", 1)[1] for entry_id, _title in found] == ["revision-2", "revision-1"]
    assert (await client.get(f"/frameworks/{SLUG}/indicators/NOPE-1.atom")).status_code == 404
    page = (await client.get(f"/frameworks/{SLUG}/indicators/REC-1")).text
    assert f'href="/frameworks/{SLUG}/indicators/REC-1.atom"' in page
