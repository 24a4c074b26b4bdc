"""Abuse limits protect people without locking them out: every writing action is limited per account
and per address, answered 429 with Retry-After (in the page's language on pages); sign-in is
limited per account and address pair, and only slowed per account, so nobody can lock the owner
out of their own account."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest

from proposals.access import create_api_token
from proposals.accounts import register_account
from proposals.rate_limits import DEFAULT_LIMITS, Limit, limit_action
from proposals.roles import Role
from server.app import create_app
from server.settings import Settings
from tests.constants import AMENDMENT, PASSWORD, SLUG
from tests.proposals.browsing import csrf_of, sign_in
from tests.proposals.factories import make_group
from web.failures import TooManyAttempts

TIGHT = 3  # attempts allowed per window in these tests


async def _client(app, address: str = "203.0.113.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 4000))
    return httpx.AsyncClient(transport=transport, base_url="https://testserver")


@pytest.fixture
async def tight_app(db) -> AsyncIterator:
    """The app with each limit cut to TIGHT attempts an hour (the defaults are far larger)."""
    limits = {name: Limit(TIGHT, 3600) for name in DEFAULT_LIMITS}
    app = create_app(dataclasses.replace(Settings.from_env(), rate_limits=limits))
    for hook in app.on_startup:
        await hook()
    yield app
    for hook in app.on_shutdown:
        await hook()


async def bearer(email: str, role: Role = Role.practitioner) -> dict[str, str]:
    account = await register_account(email, PASSWORD, email.split("@")[0], role=role)
    return {"Authorization": f"Bearer {await create_api_token(account.id)}"}


def refused(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert int(response.headers["retry-after"]) > 0
    assert "Too many" in response.json()["detail"]


async def test_each_writing_action_is_limited_per_account(tight_app):
    members = await make_group(size=1)
    steward = await bearer("steward@example.org", Role.steward)
    async with await _client(tight_app) as client:
        author = await bearer("auteur@example.org")
        proposals = [
            await client.post(f"/api/v1/frameworks/{SLUG}/proposals", json=AMENDMENT, headers=author)
            for _ in range(TIGHT)
        ]
        assert [p.status_code for p in proposals] == [201] * TIGHT
        refused(await client.post(f"/api/v1/frameworks/{SLUG}/proposals", json=AMENDMENT, headers=author))
        pid = proposals[0].json()["id"]
        for _ in range(TIGHT):
            assert (
                await client.post(f"/api/v1/proposals/{pid}/comments", json={"body": "Oui"}, headers=author)
            ).status_code == 201
        refused(await client.post(f"/api/v1/proposals/{pid}/comments", json={"body": "Oui"}, headers=author))
        for number in range(TIGHT):
            revised = await client.patch(
                f"/api/v1/proposals/{pid}",
                json={"revision": number + 1, "title": f"T{number}"},
                headers=author,
            )
            assert revised.status_code == 200, revised.text
        refused(
            await client.patch(
                f"/api/v1/proposals/{pid}", json={"revision": TIGHT + 1, "title": "Encore"}, headers=author
            )
        )
        assert (await client.post(f"/api/v1/proposals/{pid}/voting", headers=steward)).status_code == 200
        voter = {"Authorization": f"Bearer {await create_api_token(members[0].id)}"}
        for _ in range(TIGHT):
            assert (
                await client.put(f"/api/v1/proposals/{pid}/vote", json={"choice": "for"}, headers=voter)
            ).status_code == 200
        refused(await client.put(f"/api/v1/proposals/{pid}/vote", json={"choice": "for"}, headers=voter))


async def test_registration_and_tokens_are_limited(tight_app):
    async with await _client(tight_app) as client:
        for number in range(TIGHT):
            body = {"email": f"n{number}@example.org", "password": PASSWORD, "display_name": "N"}
            assert (await client.post("/api/v1/accounts", json=body)).status_code == 201
        refused(
            await client.post(
                "/api/v1/accounts", json={"email": "z@example.org", "password": PASSWORD, "display_name": "Z"}
            )
        )
        for _ in range(TIGHT):
            assert (
                await client.post("/api/v1/tokens", json={"email": "n0@example.org", "password": PASSWORD})
            ).status_code == 201
        refused(await client.post("/api/v1/tokens", json={"email": "n0@example.org", "password": PASSWORD}))


async def test_a_limited_page_says_so_in_its_language_with_retry_after(tight_app):
    await register_account("ana@example.org", PASSWORD, "Ana")
    author = (await register_account("auteur@example.org", PASSWORD, "Auteur")).actor
    from proposals.proposing import create_proposal

    proposal = await create_proposal(
        author, SLUG, "retire", "latest", "Retirer REC-4", "R.", indicator="REC-4"
    )
    async with await _client(tight_app) as client:
        await sign_in(client, "ana@example.org")
        for _ in range(TIGHT):
            token = csrf_of((await client.get("/sign-in")).text)
            posted = await client.post(
                f"/proposals/{proposal.id}/comments", data={"_csrf_token": token, "body": "Oui"}
            )
            assert posted.status_code == 303
        token = csrf_of((await client.get("/sign-in")).text)
        page = await client.post(
            f"/proposals/{proposal.id}/comments", data={"_csrf_token": token, "body": "Oui"}
        )
        assert page.status_code == 429 and int(page.headers["retry-after"]) > 0
        assert "Trop de commentaires" in page.text and '<html lang="fr">' in page.text


async def test_wrong_passwords_from_elsewhere_never_lock_the_owner_out(db):
    """An attacker's wrong passwords, from many addresses, slow the account down; the owner, from
    their own address, still signs in (the hard limit is per account and address pair)."""
    app = create_app(dataclasses.replace(Settings.from_env(), rate_limits=dict(DEFAULT_LIMITS)))
    await register_account("owner@example.org", PASSWORD, "Owner")
    wrong = {"email": "owner@example.org", "password": "not the password"}
    async with await _client(app, "198.51.100.7") as attacker:
        answers = [(await attacker.post("/api/v1/tokens", json=wrong)).status_code for _ in range(12)]
    assert answers[:10] == [401] * 10 and answers[-1] == 429  # this address, for this account: locked
    async with await _client(app, "192.0.2.44") as owner:
        right = await owner.post("/api/v1/tokens", json={"email": "owner@example.org", "password": PASSWORD})
        assert right.status_code == 201


def test_limits_can_be_set_and_are_checked():
    from proposals.rate_limits import parse_limits

    assert parse_limits("comment:account=30/3600, vote:address=5/60") == {
        "comment:account": Limit(30, 3600),
        "vote:address": Limit(5, 60),
    }
    for wrong in (
        "comment=30/3600",
        "comments:account=30/3600",
        "comment:account=0/60",
        "comment:account=1e3/60",
    ):
        with pytest.raises(ValueError):
            parse_limits(wrong)


async def test_past_the_per_account_limit_sign_ins_are_slowed_never_refused(db):
    limits = {**DEFAULT_LIMITS, "sign-in:account": Limit(2, 900)}
    app = create_app(dataclasses.replace(Settings.from_env(), rate_limits=limits))
    await register_account("owner@example.org", PASSWORD, "Owner")
    wrong = {"email": "owner@example.org", "password": "not the password"}
    for number in range(3):  # three addresses, one wrong attempt each: past the per-account limit
        async with await _client(app, f"198.51.100.{number}") as attacker:
            assert (await attacker.post("/api/v1/tokens", json=wrong)).status_code == 401
    async with await _client(app, "192.0.2.44") as owner:
        right = await owner.post("/api/v1/tokens", json={"email": "owner@example.org", "password": PASSWORD})
        assert right.status_code == 201  # slowed (a few seconds), not refused


async def test_creating_programmes_is_limited(tight_app):
    async with await _client(tight_app) as client:
        admin = await bearer("admin@example.org")
        body = {"name": "Parrainage", "department": "13"}
        for _ in range(TIGHT):
            assert (await client.post("/api/v1/programmes", json=body, headers=admin)).status_code == 201
        refused(await client.post("/api/v1/programmes", json=body, headers=admin))


async def test_attempts_made_at_once_are_counted_exactly(db: None):
    """Attempts that come together are counted in one statement (web/batches.py): each is told its own
    place, so exactly the limit's count get through, whatever the interleaving; the window's end is
    the same for all."""
    limits = {"comment:account": Limit(7, 3600), "comment:address": Limit(100, 60)}
    outcomes = await asyncio.gather(
        *(limit_action(limits, "comment", account=42, address="198.51.100.7") for _ in range(20)),
        return_exceptions=True,
    )
    assert outcomes.count(None) == 7
    refusals = [outcome for outcome in outcomes if outcome is not None]
    assert all(isinstance(refusal, TooManyAttempts) for refusal in refusals)
    assert len({refusal.retry_after for refusal in refusals}) <= 2  # the same second, or the next
    # The address's limit counted all twenty, in its own window.
    outcomes = await asyncio.gather(
        *(limit_action(limits, "comment", account=43, address="198.51.100.7") for _ in range(80)),
        return_exceptions=True,
    )
    assert outcomes.count(None) == 7
    refused_by_address = await asyncio.gather(
        limit_action(limits, "comment", account=44, address="198.51.100.7"), return_exceptions=True
    )
    assert isinstance(refused_by_address[0], TooManyAttempts)
