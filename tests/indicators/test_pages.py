"""The pages people read, through the app: French by default, English on request."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from indicators.content import IndicatorText
from indicators.publication import Change, ChangeKind, publish_release
from indicators.versions import Bump
from tests.constants import SLUG

BASE = f"/frameworks/{SLUG}"


async def amend(code: str, title: str, statement: str = "Énoncé révisé.") -> str:
    text = IndicatorText(title=title, statement=statement, rationale="Parce que.", evidence_level="practice")
    release = await publish_release(SLUG, [Change(ChangeKind.amend, code, text)], Bump.minor, f"{code} revu")
    return release.version


async def test_home_shows_every_theme_and_indicator_of_the_current_release(client):
    response = await client.get("/")
    assert response.status_code == 200
    page = response.text
    assert '<html lang="fr">' in page
    assert page.count("<h1") == 1
    for code in ("REC", "SEL", "REC-1", "REC-4"):
        assert code in page
    assert "Un message de recrutement honnête sur l&#39;engagement" in page
    assert "Consensus de terrain" in page  # evidence level label
    assert 'id="take-part-title"' in page
    assert "1.0.0" in page


async def test_english_through_accept_language_or_the_switch(client):
    page = (await client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"})).text
    assert '<html lang="en">' in page
    assert "How to take part" in page
    assert "Honest recruitment messaging about the commitment" in page
    switch = await client.get(f"/language/en?next={BASE}/releases")
    assert switch.status_code == 303
    assert switch.headers["location"] == f"{BASE}/releases"
    assert '<html lang="en">' in (await client.get(f"{BASE}/releases")).text
    back = await client.get("/language/fr?next=https://evil.example/")
    assert back.headers["location"] == "/"
    assert '<html lang="fr">' in (await client.get("/")).text


async def test_indicator_page_shows_full_text_and_history(client):
    page = (await client.get(f"{BASE}/indicators/REC-2")).text
    assert "<strong>" not in page.split("<h1")[0]
    for part in (
        "Le programme décrit par écrit",
        "59 % des mentorés",
        "fiche « profil mentor »",
        "En zone rurale",
    ):
        assert part in page
    assert f'href="{BASE}/releases/1.0.0/indicators/REC-2"' in page
    # Markdown in indicator texts is rendered.
    assert "<strong>durée minimale</strong>" in (await client.get(f"{BASE}/indicators/REC-1")).text


async def test_older_release_pages_say_so_and_link_to_the_current_one(client):
    await amend("REC-1", "Un message honnête")
    old = (await client.get(f"{BASE}/releases/1.0.0")).text
    assert 'role="note"' in old
    assert f'href="{BASE}/releases/1.1.0"' in old
    old_indicator = (await client.get(f"{BASE}/releases/1.0.0/indicators/REC-1")).text
    assert 'role="note"' in old_indicator
    assert "Un message de recrutement honnête" in old_indicator
    current = (await client.get(f"{BASE}/releases/latest")).text
    assert 'role="note"' not in current
    assert "Un message honnête" in current
    history = (await client.get(f"{BASE}/indicators/REC-1")).text
    assert "1.1.0" in history and "1.0.0" in history


async def test_releases_page_and_comparison(client):
    await amend("REC-1", "Un message honnête", "Les supports disent tout.")
    await publish_release(SLUG, [Change(ChangeKind.retire, "REC-4")], Bump.major, "REC-4 retiré")
    releases = (await client.get(f"{BASE}/releases")).text
    for version in ("1.0.0", "1.1.0", "2.0.0"):
        assert f'href="{BASE}/releases/{version}"' in releases
    assert "REC-4 retiré" in releases
    form = await client.get(f"{BASE}/compare", params={"from": "1.0.0", "to": "2.0.0"})
    assert form.status_code == 303
    compare = await client.get(form.headers["location"])
    assert compare.status_code == 200
    page = compare.text
    assert "REC-4" in page and "REC-1" in page
    # Diffs are readable without colour: marked in the text too.
    assert "<del>" in page and "<ins>" in page and "{+" in page and "[-" in page
    retired = await client.get(f"{BASE}/indicators/REC-4")
    assert retired.status_code == 200
    assert "Reconnaissance et fidélisation des mentors" in retired.text


async def test_downloads(client):
    csv = await client.get(f"{BASE}/releases/1.0.0.csv")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert 'filename="qualite-mentorat-1.0.0.csv"' in csv.headers["content-disposition"]
    assert csv.text.count("\r\n") == 36
    markdown = await client.get(f"{BASE}/releases/latest.md")
    assert markdown.text.startswith("# Indicateurs de qualité")
    json_file = await client.get(f"{BASE}/releases/1.0.0.json")
    assert (
        json_file.json()["content_hash"]
        == (await client.get(f"/api/v1{BASE}/releases/1.0.0")).json()["content_hash"]
    )


async def test_atom_feed_lists_releases(client):
    await amend("REC-1", "Un message honnête")
    response = await client.get(f"{BASE}/releases.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = feed.findall("a:entry", ns)
    assert [e.find("a:title", ns).text.rsplit(" ", 1)[1] for e in entries] == ["1.1.0", "1.0.0"]
    assert entries[0].find("a:link", ns).get("href") == f"https://testserver{BASE}/releases/1.1.0"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/frameworks/nope", "pas de référentiel nommé"),
        (f"{BASE}/releases/9.9.9", "pas de version 9.9.9"),
        (f"{BASE}/releases/1.0", "pas un numéro de version"),
        (f"{BASE}/releases/1.0.0/indicators/NOPE-1", "pas d&#39;indicateur"),
        (f"{BASE}/indicators/NOPE-1", "pas d&#39;indicateur"),
        (f"{BASE}/compare/1.0.0", "pas une comparaison"),
        (f"{BASE}/compare/1.0.0...2.x", "pas un numéro de version"),
        ("/no/such/page", "pas de page"),
    ],
)
async def test_unknown_things_are_a_clear_404_page(client, path: str, message: str):
    response = await client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert any(part in response.text for part in message.split("|"))


async def test_pages_answer_if_none_match(client):
    first = await client.get(f"{BASE}/releases/1.0.0")
    etag = first.headers["etag"]
    again = await client.get(f"{BASE}/releases/1.0.0", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    english = await client.get(
        f"{BASE}/releases/1.0.0", headers={"Accept-Language": "en", "If-None-Match": etag}
    )
    assert english.status_code == 200


async def test_user_controlled_text_is_escaped_and_markdown_is_safe(client):
    canary = '"><svg onload=alert(1)>{{7*7}}'
    await amend("REC-1", canary, "[clic](javascript:alert(1)) <script>alert(1)</script>")
    for path in ("/", f"{BASE}/indicators/REC-1", f"{BASE}/compare/1.0.0...latest", f"{BASE}/releases.atom"):
        page = (await client.get(path)).text
        assert "<svg onload" not in page
        assert "<script>alert" not in page
        assert 'href="javascript:' not in page
        assert ">49<" not in page and "alert(1)>49" not in page  # {{7*7}} never evaluated
    assert "&lt;svg onload=alert(1)&gt;" in (await client.get(f"{BASE}/indicators/REC-1")).text
