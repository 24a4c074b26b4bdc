"""The page of what a new release changes for a programme, and starting the next assessment from it."""

from __future__ import annotations

import pytest

from tests.programmes.factories import make_programme, publish_changes, submitted_assessment
from tests.proposals.browsing import person, post, sign_in


@pytest.fixture
async def changed(db: None) -> dict:
    admin = await person("admin@example.org", "Awa")
    programme_id = await make_programme(admin)
    assessment_id = await submitted_assessment(admin, programme_id, REC_4="exemplary")
    version = await publish_changes()
    return {"programme": programme_id, "assessment": assessment_id, "version": version}


async def test_a_member_sees_what_changes_and_starts_the_next_assessment(client, changed):
    await sign_in(client, "admin@example.org")
    path = f"/programmes/{changed['programme']}/changes"
    response = await client.get(path, headers={"Accept-Language": "en"})
    assert response.status_code == 200, response.text
    page = response.text
    assert f"What release {changed['version']} changes for" in page
    assert 'id="changed-REC-1"' in page and "<ins" in page  # the word diff
    assert "REC-5" in page.split('id="added-title"')[1].split("</section>")[0]
    retired = page.split('id="retired-title"')[1].split("</section>")[0]
    assert "REC-4" in retired and "Your answer: exemplary" in retired
    started = await post(
        client, f"/assessments/{changed['assessment']}/successor", {"release": changed["version"]}
    )
    assert started.status_code == 303
    draft = (await client.get(started.headers["location"], headers={"Accept-Language": "en"})).text
    assert changed["version"] in draft


@pytest.mark.parametrize(
    "query", ["from=9.9.9", "to=nonsense", "from=1.0.0&to=1.0.0&from=1.0.0", "colour=red"]
)
async def test_bad_releases_are_refused_in_plain_words(client, changed, query: str):
    await sign_in(client, "admin@example.org")
    response = await client.get(f"/programmes/{changed['programme']}/changes?{query}")
    assert response.status_code in (400, 404), response.text


async def test_only_members_see_it(client, changed):
    path = f"/programmes/{changed['programme']}/changes"
    signed_out = await client.get(path)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/sign-in")
    await person("other@example.org", "Autre")
    await sign_in(client, "other@example.org")
    assert (await client.get(path)).status_code == 403
