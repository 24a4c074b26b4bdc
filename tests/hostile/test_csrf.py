"""CSRF tokens bound to the session: only the server makes them, only for this session, only in the
form fields that ask for them."""

from __future__ import annotations

import re

import httpx
import pytest

from proposals.discussion import add_comment
from proposals.proposing import create_proposal
from tests.constants import SLUG
from tests.proposals.browsing import csrf_of, person, sign_in

TOKEN_FIELD = re.compile(r'<input type="hidden" name="_csrf_token" value="([^"]*)">')


def browser(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Another browser on the same app: its own cookie jar."""
    return httpx.AsyncClient(transport=client._transport, base_url="https://testserver")


async def a_proposal() -> int:
    author = await person("autrice@example.org", "Autrice")
    proposal = await create_proposal(
        author, SLUG, "retire", "latest", "Retirer REC-4", "R.", indicator="REC-4"
    )
    return proposal.id


async def test_an_attackers_own_cookie_and_token_do_not_work_with_a_victims_session(client):
    await person("victime@example.org", "Victime")
    pid = await a_proposal()
    async with browser(client) as attacker:
        form = await attacker.get("/sign-in")
        attackers_token, attackers_cookie = csrf_of(form.text), attacker.cookies["rv_csrf"]
    await sign_in(client, "victime@example.org")
    client.cookies.set("rv_csrf", attackers_cookie)  # planted, as a sibling site could
    forged = await client.post(
        f"/proposals/{pid}/comments", data={"_csrf_token": attackers_token, "body": "x"}
    )
    assert forged.status_code == 403
    assert "Écrit par la victime" not in (await client.get(f"/proposals/{pid}")).text


async def test_another_sessions_token_is_refused(client):
    await person("une@example.org", "Une")
    await person("autre@example.org", "Autre")
    pid = await a_proposal()
    async with browser(client) as other:
        await sign_in(other, "autre@example.org")
        others_token = csrf_of((await other.get("/sign-in")).text)
    await sign_in(client, "une@example.org")
    refused = await client.post(f"/proposals/{pid}/comments", data={"_csrf_token": others_token, "body": "x"})
    assert refused.status_code == 403
    mine = csrf_of((await client.get("/sign-in")).text)
    accepted = await client.post(f"/proposals/{pid}/comments", data={"_csrf_token": mine, "body": "x"})
    assert accepted.status_code == 303


async def test_the_token_changes_at_sign_in_and_the_old_one_stops_working(client):
    await person("une@example.org", "Une")
    pid = await a_proposal()
    client.cookies.clear()
    before = csrf_of((await client.get("/sign-in")).text)
    signed_in = await client.post(
        "/sign-in",
        data={"_csrf_token": before, "email": "une@example.org", "password": "un mot de passe solide"},
    )
    assert signed_in.status_code == 303
    after = csrf_of((await client.get("/sign-in")).text)
    assert after != before
    stale = await client.post(f"/proposals/{pid}/comments", data={"_csrf_token": before, "body": "x"})
    assert stale.status_code == 403


@pytest.mark.parametrize("token", ["", "0" * 64, "not-a-token", "é" * 64])
async def test_made_up_tokens_are_refused(client, token: str):
    await person("une@example.org", "Une")
    pid = await a_proposal()
    await sign_in(client, "une@example.org")
    refused = await client.post(f"/proposals/{pid}/comments", data={"_csrf_token": token, "body": "x"})
    assert refused.status_code == 403


PLACEHOLDERS = [
    "@@csrf-token@@",
    'value="csrf-slot-',
    "csrf-slot-",
    '<input type="hidden" name="_csrf_token" value="">',
]


@pytest.mark.parametrize("text", PLACEHOLDERS)
async def test_user_text_never_receives_the_viewers_token(client, text: str):
    """A shared page gets each viewer's token in its form fields only, never where user text is."""
    reader = await person("lectrice@example.org", "Lectrice")
    pid = await a_proposal()
    await add_comment(reader, pid, f"Lien piégé : [clic](https://evil.example/?t={text}) {text}")
    await sign_in(client, "lectrice@example.org")
    page = (await client.get(f"/proposals/{pid}")).text
    token = csrf_of((await client.get("/sign-in")).text)
    fields = TOKEN_FIELD.findall(page)
    assert fields and set(fields) == {token}
    assert page.count(token) == len(fields)  # nowhere else, and never in the comment or its link


async def test_pages_without_forms_set_no_csrf_cookie(client):
    for path in ("/", f"/frameworks/{SLUG}/releases", "/healthz", "/static/css/site.css"):
        response = await client.get(path)
        assert "rv_csrf" not in response.headers.get("set-cookie", ""), path
    form = await client.get("/sign-in")
    cookie = form.headers["set-cookie"]
    assert "rv_csrf=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
