"""Answers kept in memory: same bytes and headers, the right copy for each viewer, and never wrong
after a write, whatever the order in which a write and a reading interleave."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest

from indicators.content import IndicatorText
from indicators.publication import Change, ChangeKind, publish_release
from indicators.versions import Bump
from proposals.accounts import register_account
from proposals.proposing import create_proposal
from tests.constants import PASSWORD, SLUG

BASE = f"/frameworks/{SLUG}"
NEW_TEXT = IndicatorText(title="Nouveau titre", statement="É.", rationale="R.", evidence_level="practice")


async def publish_new_title() -> None:
    await publish_release(SLUG, [Change(ChangeKind.amend, "REC-1", NEW_TEXT)], Bump.minor, "s")


async def test_second_answer_is_identical_and_keeps_security_headers(client: httpx.AsyncClient):
    first = await client.get("/")
    second = await client.get("/")
    assert second.content == first.content
    for header in (
        "etag",
        "content-type",
        "content-length",
        "vary",
        "content-security-policy",
        "x-frame-options",
    ):
        assert second.headers[header] == first.headers[header]
    assert (await client.get("/", headers={"If-None-Match": first.headers["etag"]})).status_code == 304


async def test_each_language_has_its_own_copy(client: httpx.AsyncClient):
    french = await client.get("/")
    english = await client.get("/", headers={"Accept-Language": "en"})
    assert '<html lang="fr">' in french.text and '<html lang="en">' in english.text
    client.cookies.set("lang", "en")
    assert '<html lang="en">' in (await client.get("/")).text
    client.cookies.clear()
    assert '<html lang="fr">' in (await client.get("/")).text


async def test_a_publication_shows_at_once_and_numbered_releases_never_change(client: httpx.AsyncClient):
    assert "1.0.0" in (await client.get(f"/api/v1{BASE}/releases/latest")).text
    assert "Nouveau titre" not in (await client.get("/")).text
    await publish_new_title()
    assert (await client.get(f"/api/v1{BASE}/releases/latest")).json()["version"] == "1.1.0"
    assert "Nouveau titre" in (await client.get("/")).text
    assert (await client.get(f"/api/v1{BASE}/releases/1.0.0")).json()["version"] == "1.0.0"
    old = await client.get(f"{BASE}/releases/1.0.0")
    assert "1.1.0" in old.text  # the older release's page now says which one is current


async def test_published_content_ignores_a_query_and_is_rendered_once(client: httpx.AsyncClient, monkeypatch):
    from web.templating import Templates

    renders = []
    render = Templates.render
    monkeypatch.setattr(
        Templates, "render", lambda self, *a, **k: renders.append(a[0]) or render(self, *a, **k)
    )
    first = await client.get(f"{BASE}/releases/1.0.0")
    for query in ("?x=1", "?x=2", "?utm_source=mail"):
        again = await client.get(f"{BASE}/releases/1.0.0{query}")
        assert again.content == first.content
    assert renders == ["indicators/release.html"]


async def test_a_signed_out_page_is_refreshed_by_a_write(client: httpx.AsyncClient):
    author = (await register_account("a@example.org", PASSWORD, "A")).actor
    proposal = await create_proposal(
        author, SLUG, "retire", "latest", "Retirer REC-4", "Parce que.", indicator="REC-4"
    )
    first = await client.get(f"/proposals/{proposal.id}")
    assert first.status_code == 200 and "Un avis nouveau" not in first.text
    assert (await client.get(f"/proposals/{proposal.id}")).content == first.content  # kept
    token = (
        await client.post("/api/v1/tokens", json={"email": "a@example.org", "password": PASSWORD})
    ).json()
    commented = await client.post(
        f"/api/v1/proposals/{proposal.id}/comments",
        json={"body": "Un avis nouveau"},
        headers={"Authorization": f"Bearer {token['token']}"},
    )
    assert commented.status_code == 201
    assert "Un avis nouveau" in (await client.get(f"/proposals/{proposal.id}")).text
    assert 'name="_csrf_token"' not in first.text


async def test_refused_requests_empty_no_cache(client: httpx.AsyncClient, monkeypatch):
    """Junk POSTs (no token, no CSRF, unknown address, wrong method) change nothing: they must not
    make anyone's pages cold."""
    await client.get("/")
    await client.get(f"/api/v1{BASE}/releases/latest")
    generations = client._transport.app.state.generations  # type: ignore[attr-defined]
    before = generations.now()
    for path in (
        "/proposals/1/comments",
        "/sign-out",
        "/nowhere",
        "/",
        "/api/v1/proposals/1/vote",
        "/register",
    ):
        response = await client.post(path, data={"body": "junk"})
        assert 400 <= response.status_code < 500, (path, response.status_code)
    assert generations.now() == before


async def test_a_session_cookie_that_is_not_valid_gets_the_signed_out_copy(client: httpx.AsyncClient):
    """Lookup and store agree on the viewer: a cookie that names no session is a signed-out viewer."""
    signed_out = await client.get("/")
    client.cookies.set("rv_session", "not-a-session")
    with_cookie = await client.get("/")
    assert with_cookie.content == signed_out.content
    assert "sign-out" not in with_cookie.text


# --- a write while a reading is under way, on each cache ------------------------------------------


def paused(monkeypatch, module, name: str) -> tuple[asyncio.Event, asyncio.Event]:
    """Make `module.name` (an async function a cache's reading calls) wait for `release` once, after
    setting `reached`: the test writes in between."""
    reached, release = asyncio.Event(), asyncio.Event()
    original = getattr(module, name)

    async def waiting(*args, **kwargs):
        result = await original(*args, **kwargs)
        if not release.is_set():
            reached.set()
            await release.wait()
        return result

    monkeypatch.setattr(module, name, waiting)
    return reached, release


async def interleave(
    reading: Awaitable[httpx.Response], reached: asyncio.Event, release: asyncio.Event, write: Callable
) -> httpx.Response:
    task = asyncio.ensure_future(reading)
    await asyncio.wait_for(reached.wait(), 10)
    await write()
    release.set()
    return await task


async def test_release_cache_a_late_store_does_not_undo_a_publication(client, monkeypatch):
    from indicators import release_cache

    reached, release = paused(monkeypatch, release_cache, "current_version")
    await interleave(client.get(f"/api/v1{BASE}/releases/latest"), reached, release, publish_new_title)
    assert (await client.get(f"/api/v1{BASE}/releases/latest")).json()["version"] == "1.1.0"


async def test_response_cache_a_late_store_does_not_undo_a_publication(client, monkeypatch):
    from indicators.routes import pages

    await client.get(f"/api/v1{BASE}/releases/latest")  # which release is current is cached already
    reached, release = paused(monkeypatch, pages, "list_releases")
    await interleave(client.get(f"{BASE}/releases"), reached, release, publish_new_title)
    assert "1.1.0" in (await client.get(f"{BASE}/releases")).text


async def test_reads_cache_a_late_store_does_not_undo_a_comment(client, monkeypatch):
    from proposals.discussion import add_comment
    from proposals.routes import pages

    author = (await register_account("a@example.org", PASSWORD, "A")).actor
    proposal = await create_proposal(
        author, SLUG, "retire", "latest", "Retirer REC-4", "Parce que.", indicator="REC-4"
    )
    reached, release = paused(monkeypatch, pages, "list_comments")

    async def comment() -> None:
        await add_comment(author, proposal.id, "Écrit pendant la lecture")

    await interleave(client.get(f"/proposals/{proposal.id}"), reached, release, comment)
    assert "Écrit pendant la lecture" in (await client.get(f"/proposals/{proposal.id}")).text


async def test_reads_cache_a_late_store_does_not_undo_a_new_proposal(client, monkeypatch):
    from proposals.routes import list_page

    author = (await register_account("a@example.org", PASSWORD, "A")).actor
    reached, release = paused(monkeypatch, list_page, "list_proposals")

    async def propose() -> None:
        await create_proposal(
            author, SLUG, "retire", "latest", "Proposée pendant la lecture", "R.", indicator="REC-4"
        )

    await interleave(client.get("/proposals"), reached, release, propose)
    assert "Proposée pendant la lecture" in (await client.get("/proposals")).text


@pytest.mark.parametrize("api", [False, True])
async def test_sessions_and_tokens_a_late_store_does_not_undo_a_sign_out(client, monkeypatch, api: bool):
    from proposals.access import create_api_token, end_all_access, start_session
    from proposals.routes import authentication

    account = await register_account("a@example.org", PASSWORD, "A")
    secret = await (create_api_token if api else start_session)(account.id)
    path, headers = (
        ("/api/v1/accounts/me", {"Authorization": f"Bearer {secret}"}) if api else ("/account", {})
    )
    if not api:
        client.cookies.set("rv_session", secret)
    reached, release = paused(monkeypatch, authentication, "actor_for_token" if api else "actor_for_session")

    async def sign_out_everywhere() -> None:
        await end_all_access(account.id)

    during = await interleave(client.get(path, headers=headers), reached, release, sign_out_everywhere)
    assert during.status_code == 200  # read before the sign-out: this one request still gets in
    after = await client.get(path, headers=headers)
    assert after.status_code == (401 if api else 303)
