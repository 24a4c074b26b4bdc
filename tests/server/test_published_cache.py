"""Published pages answered from memory: same bytes, same headers, right language, fresh enough."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from indicators.content import IndicatorText
from indicators.publication import Change, ChangeKind, publish_release
from indicators.versions import Bump
from server.app import create_app
from server.settings import Settings
from web.published_cache import ANY_VIEWER, PublishedCache

BASE = "/frameworks/qualite-mentorat"


@pytest.fixture
async def cached_client(db):
    """The app with releases trusted as current for a minute, as in production (but longer)."""
    app = create_app(dataclasses.replace(Settings.from_env(), latest_ttl_seconds=60))
    for hook in app.on_startup:
        await hook()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://testserver"
    ) as client:
        yield client, app
    for hook in app.on_shutdown:
        await hook()


async def test_second_answer_is_identical_and_keeps_security_headers(cached_client):
    client, _app = cached_client
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


async def test_each_language_has_its_own_copy(cached_client):
    client, _app = cached_client
    french = await client.get("/")
    english = await client.get("/", headers={"Accept-Language": "en"})
    assert '<html lang="fr">' in french.text and '<html lang="en">' in english.text
    client.cookies.set("lang", "en")
    assert '<html lang="en">' in (await client.get("/")).text
    client.cookies.clear()
    assert '<html lang="fr">' in (await client.get("/")).text


async def test_a_publication_in_this_worker_shows_at_once_after_forgetting(cached_client):
    client, app = cached_client
    assert "1.0.0" in (await client.get(f"/api/v1{BASE}/releases/latest")).text
    text = IndicatorText(title="Nouveau titre", statement="É.", rationale="R.", evidence_level="practice")
    await publish_release("qualite-mentorat", [Change(ChangeKind.amend, "REC-1", text)], Bump.minor, "s")
    # What the publishing code calls after a publication:
    app.state.releases.forget("qualite-mentorat")
    app.state.published.forget_current()
    assert (await client.get(f"/api/v1{BASE}/releases/latest")).json()["version"] == "1.1.0"
    assert "Nouveau titre" in (await client.get("/")).text
    # A numbered release is the same bytes for ever.
    assert (await client.get(f"/api/v1{BASE}/releases/1.0.0")).json()["version"] == "1.0.0"


def scope(path: str, headers: list[tuple[bytes, bytes]] | None = None, query: bytes = b"") -> dict:
    return {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": query,
        "headers": [(b"host", b"example.org"), *(headers or [])],
    }


def test_entries_for_the_current_release_expire_and_immutable_ones_do_not():
    now = [100.0]
    cache = PublishedCache(ttl=1.0, clock=lambda: now[0])
    cache.store(scope("/"), "fr|out", b"home", '"a"', {}, immutable=False)
    cache.store(scope("/r/1.0.0"), ANY_VIEWER, b"json", '"b"', {}, immutable=True)
    assert cache.lookup(scope("/")).body == b"home"
    assert cache.lookup(scope("/", [(b"accept-language", b"en")])) is None
    now[0] += 2
    assert cache.lookup(scope("/")) is None  # this request renders it again...
    assert cache.lookup(scope("/")).body == b"home"  # ...while others still get the copy
    now[0] += 10
    assert cache.lookup(scope("/")) is None  # a refresh that never came back is tried again
    cache.store(scope("/"), "fr|out", b"home 2", '"c"', {}, immutable=False)
    assert cache.lookup(scope("/")).body == b"home 2"
    assert cache.lookup(scope("/r/1.0.0")).body == b"json"


def test_requests_with_a_query_are_neither_stored_nor_answered():
    cache = PublishedCache(ttl=60)
    cache.store(scope("/", query=b"x=1"), "fr|out", b"home", '"a"', {}, immutable=False)
    assert cache.lookup(scope("/")) is None
    cache.store(scope("/"), "fr|out", b"home", '"a"', {}, immutable=False)
    assert cache.lookup(scope("/", query=b"status=voting")) is None


async def test_a_write_in_this_worker_refreshes_shared_pages(cached_client):
    from proposals.accounts import register_account
    from proposals.proposing import create_proposal

    client, _app = cached_client
    author = (await register_account("a@example.org", "un mot de passe solide", "A")).actor
    proposal = await create_proposal(
        author, "qualite-mentorat", "retire", "latest", "Retirer REC-4", "Parce que.", indicator="REC-4"
    )
    first = await client.get(f"/proposals/{proposal.id}")
    assert first.status_code == 200 and "Un avis nouveau" not in first.text
    assert (await client.get(f"/proposals/{proposal.id}")).content == first.content  # kept
    token = (
        await client.post(
            "/api/v1/tokens", json={"email": "a@example.org", "password": "un mot de passe solide"}
        )
    ).json()
    commented = await client.post(
        f"/api/v1/proposals/{proposal.id}/comments",
        json={"body": "Un avis nouveau"},
        headers={"Authorization": f"Bearer {token['token']}"},
    )
    assert commented.status_code == 201
    assert "Un avis nouveau" in (await client.get(f"/proposals/{proposal.id}")).text
    assert 'name="_csrf_token"' not in first.text
