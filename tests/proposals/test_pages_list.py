"""The list of proposals, pages in English when asked, every page of the loop well formed for
everyone (one h1, labelled controls, unique ids), and a decision seen at once in this worker."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from proposals.discussion import add_comment
from proposals.roles import Role
from proposals.voting import cast_vote, decide_proposal, open_vote
from server.app import create_app
from server.settings import Settings
from tests.constants import SLUG
from tests.proposals.browsing import amendment, check_structure, group_for, person, post, sign_in

pytestmark = pytest.mark.usefixtures("db")


# --- the list -----------------------------------------------------------------------------------


async def test_the_list_filters_and_pages(client):
    empty = await client.get("/proposals")
    assert empty.status_code == 200 and 'class="empty"' in empty.text
    author = await person("autrice@example.org", "Awa", organisation="Asso")
    ids = [await amendment(author, f"Énoncé {n}.", title=f"Proposition {n}") for n in range(22)]
    steward = await person("steward@example.org", "Stéphanie", Role.steward)
    member = await person("membre@example.org", "Mehdi")
    await group_for(steward, ["REC"], member)
    await open_vote(steward, ids[0])

    first = (await client.get("/proposals")).text
    assert "22 propositions" in first
    assert 'href="/proposals?page=2"' in first and 'rel="prev"' not in first
    assert "Proposition 21" in first and "Proposition 0<" not in first
    second = (await client.get("/proposals?page=2")).text
    assert "Proposition 0<" in second and 'href="/proposals"' in second
    voting = (await client.get("/proposals?status=voting")).text
    assert "1 proposition" in voting and "Proposition 0<" in voting and "En cours de vote" in voting
    assert (await client.get("/proposals?theme=FOR")).text.count('class="empty"') == 1
    paged = (await client.get("/proposals?status=discussion&theme=REC")).text
    assert 'href="/proposals?status=discussion&amp;theme=REC&amp;page=2"' in paged
    assert (await client.get("/proposals?status=nonsense")).status_code == 400
    assert (await client.get("/proposals?page=0")).status_code == 400


async def test_pages_speak_english_when_asked(client):
    author = await person("autrice@example.org", "Awa")
    proposal_id = await amendment(author, "Un nouvel énoncé.")
    page = await client.get(f"/proposals/{proposal_id}", headers={"Accept-Language": "en"})
    assert "In discussion" in page.text and "The change" in page.text
    assert (await client.get("/proposals/999")).status_code == 404


async def test_pages_are_well_formed_for_everyone(client):
    """Every page of the loop, as each person sees it: one h1, labelled controls, unique ids."""
    steward = await person("steward@example.org", "Stéphanie", Role.steward)
    author = await person("autrice@example.org", "<b>Awa</b>", organisation="<i>Asso</i>")
    member = await person("membre@example.org", "Mehdi")
    await group_for(steward, ["REC"], member)
    discussed = await amendment(author, "Un énoncé <script>alert(1)</script>.")
    comment = await add_comment(author, discussed, "Premier <img src=x onerror=alert(1)>")
    await add_comment(member, discussed, "Réponse", comment.id)
    voting = await amendment(author, "Un autre énoncé.")
    await open_vote(steward, voting)
    await cast_vote(member, voting, "against", "Non <b>merci</b>")
    decided = await amendment(author, "Encore un autre.")
    await open_vote(steward, decided)
    await cast_vote(member, decided, "against", "Non")
    await decide_proposal(steward, decided)

    pages = [f"/proposals/{n}" for n in (discussed, voting, decided)]
    for email, extra in (
        (None, ["/proposals"]),
        (
            "autrice@example.org",
            [
                f"/proposals/{discussed}/edit",
                "/proposals/new",
                "/proposals/new?kind=amend&indicator=REC-1",
                "/proposals/new?kind=add&theme=REC",
                "/proposals/new?kind=retire&indicator=SEL-1",
            ],
        ),
        ("membre@example.org", []),
        (
            "steward@example.org",
            ["/steward", "/steward/accounts", "/steward/working-groups", "/steward/audit"],
        ),
    ):
        if email:
            await sign_in(client, email)
        else:
            client.cookies.clear()
        for url in pages + extra:
            response = await client.get(url)
            assert response.status_code == 200, url
            check_structure(response.text)
            # Nothing people typed becomes markup.
            assert "<script>alert" not in response.text and "<img src=x" not in response.text, url
            assert "<b>Awa</b>" not in response.text and "<b>merci</b>" not in response.text, url


async def test_a_decision_shows_the_new_release_at_once_in_this_worker(db):
    """The decision page calls release_published: the current release is not served stale."""
    steward = await person("steward@example.org", "Stéphanie", Role.steward)
    author = await person("autrice@example.org", "Awa")
    member = await person("membre@example.org", "Mehdi")
    await group_for(steward, ["REC"], member)
    proposal_id = await amendment(author, "Un énoncé tout neuf.")
    await open_vote(steward, proposal_id)
    await cast_vote(member, proposal_id, "for")

    app = create_app(replace(Settings.from_env(), latest_ttl_seconds=3600))
    for hook in app.on_startup:
        await hook()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
            before = await client.get(f"/frameworks/{SLUG}/releases/latest")
            assert "1.0.0" in before.text and "1.1.0" not in before.text
            await sign_in(client, "steward@example.org")
            assert (await post(client, f"/proposals/{proposal_id}/decision")).status_code == 303
            client.cookies.clear()
            after = await client.get(f"/frameworks/{SLUG}/releases/latest")
            assert "1.1.0" in after.text
            assert "Un énoncé tout neuf." in (await client.get(f"/frameworks/{SLUG}/indicators/REC-1")).text
    finally:
        for hook in app.on_shutdown:
            await hook()
