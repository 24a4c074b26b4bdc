"""API tokens expire, say when they were last used, are listed to their owner (never the secret) and
revoked one by one, at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from proposals.access import create_api_token, describe_token, list_tokens
from proposals.accounts import register_account
from tests.constants import PASSWORD
from tests.proposals.browsing import csrf_of, sign_in

pytestmark = pytest.mark.usefixtures("db")


async def token_for(client: httpx.AsyncClient, email: str) -> dict:
    response = await client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return response.json()


def bearer(token: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {token['token']}"}


async def test_a_new_token_says_its_id_and_when_it_expires(client: httpx.AsyncClient):
    await register_account("ana@example.org", PASSWORD, "Ana")
    token = await token_for(client, "ana@example.org")
    assert set(token) == {"token", "account_id", "id", "created_at", "expires_at", "last_used_at"}
    expires = datetime.fromisoformat(token["expires_at"].replace("Z", "+00:00"))
    assert timedelta(days=89) < expires - datetime.now(UTC) <= timedelta(days=90)
    assert token["last_used_at"] is None


async def test_tokens_are_listed_without_their_secret_and_their_use_is_noted(client: httpx.AsyncClient):
    await register_account("ana@example.org", PASSWORD, "Ana")
    first, second = await token_for(client, "ana@example.org"), await token_for(client, "ana@example.org")
    listed = (await client.get("/api/v1/tokens", headers=bearer(first))).json()
    assert [t["id"] for t in listed] == [second["id"], first["id"]]  # newest first
    assert all(set(t) == {"id", "created_at", "expires_at", "last_used_at"} for t in listed)
    assert first["token"] not in str(listed) and second["token"] not in str(listed)
    assert listed[1]["last_used_at"] is not None  # the token that asked


async def test_a_revoked_token_stops_working_at_once(client: httpx.AsyncClient):
    await register_account("ana@example.org", PASSWORD, "Ana")
    kept, revoked = await token_for(client, "ana@example.org"), await token_for(client, "ana@example.org")
    assert (await client.get("/api/v1/accounts/me", headers=bearer(revoked))).status_code == 200
    answer = await client.delete(f"/api/v1/tokens/{revoked['id']}", headers=bearer(kept))
    assert answer.status_code == 204
    assert (await client.get("/api/v1/accounts/me", headers=bearer(revoked))).status_code == 401
    assert (await client.get("/api/v1/accounts/me", headers=bearer(kept))).status_code == 200
    again = await client.delete(f"/api/v1/tokens/{revoked['id']}", headers=bearer(kept))
    assert again.status_code == 404


async def test_nobody_revokes_or_sees_anothers_token(client: httpx.AsyncClient):
    await register_account("ana@example.org", PASSWORD, "Ana")
    await register_account("bob@example.org", PASSWORD, "Bob")
    anas, bobs = await token_for(client, "ana@example.org"), await token_for(client, "bob@example.org")
    refused = await client.delete(f"/api/v1/tokens/{anas['id']}", headers=bearer(bobs))
    assert refused.status_code == 404  # as for a token that does not exist: its existence is not told
    assert (await client.get("/api/v1/accounts/me", headers=bearer(anas))).status_code == 200
    assert [t["id"] for t in (await client.get("/api/v1/tokens", headers=bearer(bobs))).json()] == [
        bobs["id"]
    ]


async def test_an_expired_token_opens_nothing_and_is_no_longer_listed(client: httpx.AsyncClient):
    account = await register_account("ana@example.org", PASSWORD, "Ana")
    expired = await create_api_token(account.id, lifetime=timedelta(seconds=-1))
    assert (
        await client.get("/api/v1/accounts/me", headers={"Authorization": f"Bearer {expired}"})
    ).status_code == 401
    assert (await describe_token(expired)).id not in [t.id for t in await list_tokens(account.id)]


async def test_the_account_page_lists_and_revokes_tokens(client: httpx.AsyncClient):
    account = await register_account("ana@example.org", PASSWORD, "Ana")
    secret = await create_api_token(account.id)
    token = await describe_token(secret)
    await sign_in(client, "ana@example.org")
    page = await client.get("/account")
    assert f"#{token.id}" in page.text and secret not in page.text
    revoked = await client.post(
        f"/account/tokens/{token.id}/revocation", data={"_csrf_token": csrf_of(page.text)}
    )
    assert revoked.status_code == 303 and revoked.headers["location"] == "/account#tokens"
    assert (
        await client.get("/api/v1/accounts/me", headers={"Authorization": f"Bearer {secret}"})
    ).status_code == 401
    assert "Vous n'avez aucun jeton d'API." in (await client.get("/account")).text
