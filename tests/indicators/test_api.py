"""The read endpoints of the JSON API v1, as the contract describes them."""

from __future__ import annotations

import pytest

from indicators.content import IndicatorText
from indicators.publication import Change, ChangeKind, publish_release
from indicators.versions import Bump
from tests.constants import SLUG, STARTER_HASH

API = f"/api/v1/frameworks/{SLUG}"


async def publish_amendment() -> None:
    text = IndicatorText(
        title="Un message honnête",
        statement="Nouvel énoncé.",
        rationale="Parce que.",
        evidence_level="research",
    )
    await publish_release(
        SLUG, [Change(ChangeKind.amend, "REC-1", text)], Bump.minor, "REC-1 revu", proposal_id=3
    )


async def test_frameworks(client):
    [framework] = (await client.get("/api/v1/frameworks")).json()
    assert framework["slug"] == SLUG
    assert framework["current_version"] == "1.0.0"
    assert framework["title"] == "Indicateurs de qualité des programmes de mentorat"
    assert framework["html_url"] == f"https://testserver/frameworks/{SLUG}"


async def test_release_has_the_contract_fields_and_an_etag(client):
    response = await client.get(f"{API}/releases/1.0.0")
    assert response.status_code == 200
    assert response.headers["etag"] == f'"{STARTER_HASH}"'
    assert "immutable" in response.headers["cache-control"]
    release = response.json()
    assert release["version"] == "1.0.0"
    assert release["content_hash"] == STARTER_HASH
    assert release["published_at"].endswith("Z")
    assert release["html_url"] == f"https://testserver/frameworks/{SLUG}/releases/1.0.0"
    assert len(release["themes"]) == 8
    indicator = release["themes"][0]["indicators"][0]
    for field in (
        "code",
        "title",
        "statement",
        "rationale",
        "evidence_level",
        "measurement",
        "territorial_note",
        "revision",
        "html_url",
    ):
        assert field in indicator
    assert indicator["code"] == "REC-1" and indicator["revision"] == 1
    not_modified = await client.get(
        f"{API}/releases/1.0.0", headers={"If-None-Match": response.headers["etag"]}
    )
    assert not_modified.status_code == 304
    latest = await client.get(f"{API}/releases/latest")
    assert latest.json()["version"] == "1.0.0"
    assert latest.headers["cache-control"] == "no-cache"


async def test_latest_follows_publication(client):
    await publish_amendment()
    latest = (await client.get(f"{API}/releases/latest")).json()
    assert latest["version"] == "1.1.0"
    assert latest["proposal"] == {"id": 3, "html_url": "https://testserver/proposals/3"}
    releases = (await client.get(f"{API}/releases")).json()
    assert [r["version"] for r in releases] == ["1.1.0", "1.0.0"]
    assert set(releases[0]) >= {"version", "published_at", "content_hash", "summary"}


async def test_compare(client):
    await publish_amendment()
    comparison = (await client.get(f"{API}/compare/1.0.0...1.1.0")).json()
    assert comparison["added"] == [] and comparison["removed"] == []
    [changed] = comparison["changed"]
    assert changed["code"] == "REC-1"
    assert changed["before"]["title"] == "Un message de recrutement honnête sur l'engagement"
    assert changed["after"]["title"] == "Un message honnête"
    assert changed["after"]["evidence_level"] == "research"
    reverse = (await client.get(f"{API}/compare/latest...1.0.0")).json()
    assert reverse["changed"][0]["after"]["title"].startswith("Un message de recrutement")


async def test_revisions(client):
    await publish_amendment()
    revisions = (await client.get(f"{API}/indicators/REC-1/revisions")).json()
    assert [(r["revision"], r["first_release"]) for r in revisions] == [(1, "1.0.0"), (2, "1.1.0")]
    assert revisions[0]["proposal"] is None
    assert revisions[1]["proposal"]["id"] == 3


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/api/v1/frameworks/nope/releases", "no framework called 'nope'"),
        (f"{API}/releases/2.0.0", "no release 2.0.0"),
        (f"{API}/releases/1.0", "not a release number"),
        (f"{API}/releases/..%2F..%2Fetc", "nothing at this address"),
        (f"{API}/compare/1.0.0..latest", "not a comparison"),
        (f"{API}/indicators/NOPE-9/revisions", "no indicator 'NOPE-9'"),
        ("/api/v1/nothing-here", "nothing at this address"),
    ],
)
async def test_unknown_things_are_a_json_404(client, path: str, message: str):
    response = await client.get(path)
    assert response.status_code == 404
    assert message in response.json()["detail"]


async def test_openapi_schema_is_served(client):
    schema = (await client.get("/schema/openapi.json")).json()
    assert "/api/v1/frameworks/{slug}/releases/{version}" in schema["paths"]
