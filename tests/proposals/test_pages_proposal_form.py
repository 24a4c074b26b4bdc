"""The proposal form page: signing in first, choosing what to change, errors beside their field,
CSRF on every form route."""

from __future__ import annotations

import pytest

from proposals.tables import Proposal
from tests.proposals.browsing import (
    person,
    post,
    sign_in,
)

pytestmark = pytest.mark.usefixtures("db")


# --- the proposal form --------------------------------------------------------------------------


async def test_the_form_asks_to_sign_in_and_comes_back_with_its_query(client):
    response = await client.get("/proposals/new?kind=amend&indicator=REC-1")
    assert response.status_code == 303
    assert (
        response.headers["location"] == "/sign-in?next=%2Fproposals%2Fnew%3Fkind%3Damend%26indicator%3DREC-1"
    )
    page = (await client.get(response.headers["location"])).text
    assert 'name="next" value="/proposals/new?kind=amend&amp;indicator=REC-1"' in page


async def test_the_form_first_asks_what_to_change(client):
    await person("autrice@example.org", "Awa")
    await sign_in(client, "autrice@example.org")
    page = (await client.get("/proposals/new")).text
    assert 'method="get" action="/proposals/new"' in page and 'action="/proposals"' not in page
    assert '<option value="REC-1"' in page and '<option value="REC"' in page
    unknown = await client.get("/proposals/new?kind=amend&indicator=NOPE-9")
    assert unknown.status_code == 400 and 'aria-invalid="true"' in unknown.text
    retire = (await client.get("/proposals/new?kind=retire&indicator=REC-1")).text
    assert 'action="/proposals"' in retire and "content_statement" not in retire
    add = (await client.get("/proposals/new?kind=add&theme=REC")).text
    assert 'name="content_statement"' in add and 'name="theme" value="REC"' in add
    assert 'name="editorial"' not in add


async def test_an_addition_with_errors_comes_back_with_the_message(client):
    await person("autrice@example.org", "Awa")
    await sign_in(client, "autrice@example.org")
    data = {
        "kind": "add",
        "theme": "REC",
        "base_version": "1.0.0",
        "title": "Un nouvel indicateur",
        "rationale": "Il manque.",
        "content_title": "Les objectifs du binôme",
        "content_statement": "",
        "content_rationale": "Parce que.",
        "content_evidence_level": "practice",
        "content_measurement": "",
        "content_territorial_note": "",
    }
    for url in ("/proposals/preview", "/proposals"):
        response = await post(client, url, data)
        assert response.status_code == 400
        assert "« énoncé de l&#39;indicateur » est vide" in response.text
        assert 'value="Les objectifs du binôme"' in response.text, "what was typed is kept"
    assert await Proposal.count() == 0
    created = await post(
        client, "/proposals", {**data, "content_statement": "Le binôme se fixe des objectifs."}
    )
    assert created.status_code == 303
    page = (await client.get(created.headers["location"])).text
    assert "Ajout" in page and "Le binôme se fixe des objectifs." in page


async def test_every_form_route_refuses_a_post_without_csrf_token(client):
    await person("autrice@example.org", "Awa")
    await sign_in(client, "autrice@example.org")
    for url in (
        "/proposals",
        "/proposals/preview",
        "/proposals/1/comments",
        "/proposals/1/edit",
        "/proposals/1/withdrawal",
        "/proposals/1/voting",
        "/proposals/1/vote",
        "/proposals/1/decision",
        "/comments/1/hiding",
        "/steward/accounts/1/role",
        "/steward/working-groups",
        "/steward/working-groups/1/members",
        "/steward/working-groups/1/members/1/removal",
    ):
        assert (await client.post(url, data={"body": "x"})).status_code == 403, url


async def test_a_form_without_its_indicator_says_what_is_missing(client):
    await person("autrice@example.org", "Awa")
    await sign_in(client, "autrice@example.org")
    response = await post(
        client, "/proposals", {"kind": "amend", "title": "T", "rationale": "R", "base_version": "1.0.0"}
    )
    assert response.status_code == 400
    assert 'class="error-summary"' in response.text
    assert 'method="get" action="/proposals/new"' in response.text
    assert (await client.get("/proposals/1/edit")).status_code == 404
    client.cookies.clear()
    assert (await client.get("/proposals/1/edit")).headers[
        "location"
    ] == "/sign-in?next=%2Fproposals%2F1%2Fedit"
