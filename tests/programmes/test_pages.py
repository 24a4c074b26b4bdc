"""Programmes and self-assessment through their HTML pages: forms with CSRF, 303 after each POST,
refusals beside their form with the visitor's values kept, and who sees what (a share link's holder
reads only)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
import pytest

from programmes.answers import AnswerInput, save_answer
from programmes.assessments import read_assessment, start_assessment
from programmes.membership import set_member
from programmes.plan import add_action
from proposals.roles import Actor
from tests.constants import SLUG
from tests.programmes.factories import answer_all, make_programme, publish_changes, releases
from tests.proposals.browsing import check_structure, person, post, sign_in, unescaped

pytestmark = pytest.mark.usefixtures("db")

REC = ("REC-1", "REC-2", "REC-3", "REC-4")


@pytest.fixture
async def other(client: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser on the same app, with its own cookies (its own session)."""
    async with httpx.AsyncClient(transport=client._transport, base_url=client.base_url) as second:
        yield second


async def programme_with_draft(admin: Actor) -> tuple[int, int]:
    programme_id = await make_programme(admin)
    return programme_id, await start_assessment(admin, programme_id, SLUG, "latest", releases())


def theme_form(levels: dict[str, str], versions: dict[str, int] | None = None, **extra: str) -> dict:
    data = {f"level-{code}": level for code, level in levels.items()}
    data |= {f"version-{code}": str((versions or {}).get(code, 0)) for code in levels}
    return {**data, **extra}


def share_token(page: str) -> str:
    return re.search(r"\?share=([A-Za-z0-9_-]+)", page).group(1)


async def test_a_programme_is_created_and_managed_through_its_pages(client):
    await person("admin@example.org", "Awa")
    await person("contrib@example.org", "Karim")
    await sign_in(client, "admin@example.org")
    mine = await client.get("/programmes")
    assert mine.status_code == 200 and mine.headers["cache-control"] == "no-store"
    check_structure(mine.text)
    assert "75 — Paris" in mine.text and "<option" in mine.text

    refused = await post(client, "/programmes", {"name": "Parrains 93", "department": "99"})
    assert refused.status_code == 400
    assert 'id="error-department"' in refused.text and 'value="Parrains 93"' in refused.text
    created = await client.post(
        "/programmes",
        data={
            "_csrf_token": re.search(r'name="_csrf_token" value="([^"]+)"', mine.text).group(1),
            "name": "Parrains 93",
            "department": "93",
            "territory_kinds": ["qpv", "rural"],
        },
    )
    assert created.status_code == 303
    programme = created.headers["location"]
    assert re.fullmatch(r"/programmes/\d+", programme)

    page = await client.get(programme)
    assert page.status_code == 200
    check_structure(page.text)
    text = unescaped(page)
    assert "Seine-Saint-Denis" in text and "Île-de-France" in text and "zone rurale" in text
    assert f"{programme}/changes" in page.text

    unknown = await post(client, f"{programme}/members", {"email": "nobody@example.org", "role": "viewer"})
    assert unknown.status_code == 400
    assert 'id="form-add-member-email-error"' in unknown.text and "nobody@example.org" in unknown.text
    added = await post(
        client, f"{programme}/members", {"email": "Contrib@Example.org", "role": "contributor"}
    )
    assert added.status_code == 303 and added.headers["location"].endswith("#members")
    page = await client.get(programme)
    assert "Karim" in page.text
    karim = re.search(r'id="member-(\d+)"[^>]*>\s*<th scope="row"><bdi>Karim', page.text).group(1)
    changed = await post(client, f"{programme}/members", {"account_id": karim, "role": "viewer"})
    assert changed.status_code == 303
    admin_id = re.search(r'id="member-(\d+)"', page.text).group(1)
    last_admin = await post(client, f"{programme}/members/{admin_id}/removal")
    assert last_admin.status_code == 409 and "admin" in last_admin.text
    removed = await post(client, f"{programme}/members/{karim}/removal")
    assert removed.status_code == 303
    assert "Karim" not in (await client.get(programme)).text

    started = await post(client, f"{programme}/assessments", {"release": "1.0.0"})
    assert started.status_code == 303
    assert re.fullmatch(r"/assessments/\d+", started.headers["location"])
    listed = await client.get(programme)
    assert "1.0.0" in listed.text and "0 / 35" in listed.text


async def test_a_theme_is_saved_and_a_bad_answer_keeps_what_was_typed(client):
    admin = await person("admin@example.org", "Awa")
    _programme_id, assessment_id = await programme_with_draft(admin)
    await sign_in(client, "admin@example.org")
    form = await client.get(f"/assessments/{assessment_id}/themes/REC")
    assert form.status_code == 200
    check_structure(form.text)
    assert 'name="level-REC-1"' in form.text and 'name="version-REC-1" value="0"' in form.text
    assert "<fieldset" in form.text and "<legend>" in form.text

    levels = dict(zip(REC, ("not_started", "in_progress", "in_place", "not_applicable"), strict=True))
    refused = await post(
        client,
        f"/assessments/{assessment_id}/themes/REC",
        theme_form(levels, **{"evidence-REC-2": "Une *charte* signée", "links-REC-3": "https://a.org/x"}),
    )
    assert refused.status_code == 400
    assert 'id="error-justification-REC-4"' in refused.text
    assert 'value="not_applicable" checked' in refused.text
    assert "Une *charte* signée" in unescaped(refused) and "https://a.org/x" in refused.text

    saved = await post(
        client,
        f"/assessments/{assessment_id}/themes/REC",
        theme_form(levels, **{"justification-REC-4": "Pas de bénévoles.", "evidence-REC-1": "=1+1"}),
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/assessments/{assessment_id}/themes/SEL"
    back = await post(
        client, f"/assessments/{assessment_id}/themes/SEL", theme_form({"SEL-1": "exemplary"}, then="return")
    )
    assert back.headers["location"] == f"/assessments/{assessment_id}#themes"
    again = await client.get(f"/assessments/{assessment_id}/themes/REC")
    assert 'name="version-REC-4" value="1"' in again.text and "Pas de bénévoles." in again.text

    exported = await client.get(f"/assessments/{assessment_id}.csv")
    assert exported.status_code == 200 and exported.headers["cache-control"] == "private, no-store"
    assert exported.headers["content-disposition"] == f'attachment; filename="assessment-{assessment_id}.csv"'
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0][:4] == ["theme", "indicator", "title", "level"]
    rec_1 = next(row for row in rows if row[1] == "REC-1")
    assert rec_1[3] == "not_started" and rec_1[5] == "'=1+1", "a formula is defused"


async def test_a_stale_save_is_refused_and_nothing_typed_is_lost(client, other):
    admin = await person("admin@example.org", "Awa")
    colleague = await person("colleague@example.org", "Karim")
    programme_id, assessment_id = await programme_with_draft(admin)
    await set_member(admin, programme_id, colleague.id, "contributor")
    theme = f"/assessments/{assessment_id}/themes/REC"
    await sign_in(client, "admin@example.org")
    await sign_in(other, "colleague@example.org")
    assert (await client.get(theme)).status_code == 200
    assert (await other.get(theme)).status_code == 200

    first = await post(other, theme, theme_form({"REC-1": "in_place"}, **{"evidence-REC-1": "Karim's"}))
    assert first.status_code == 303
    stale = await post(client, theme, theme_form({"REC-1": "exemplary"}, **{"evidence-REC-1": "Awa's words"}))
    assert stale.status_code == 409
    check_structure(stale.text)
    page = unescaped(stale)
    assert "Awa's words" in page and 'value="exemplary" checked' in stale.text, "the visitor's answer"
    assert 'id="conflict-REC-1"' in stale.text and "Karim's" in page, "beside the answer saved meanwhile"
    assert 'name="version-REC-1" value="1"' in stale.text
    # Saving again, knowingly, replaces it.
    assert (await post(client, theme, theme_form({"REC-1": "exemplary"}, {"REC-1": 1}))).status_code == 303


async def test_submitting_sharing_and_reading_the_report(client):
    admin = await person("admin@example.org", "Awa")
    _programme_id, assessment_id = await programme_with_draft(admin)
    page_path = f"/assessments/{assessment_id}"
    await sign_in(client, "admin@example.org")
    early = await post(client, f"{page_path}/submission")
    assert early.status_code == 409 and 'id="form-submit-error"' in early.text

    await answer_all(admin, assessment_id, "in_place", REC_1="not_applicable")
    await add_action(admin, assessment_id, "REC-2", "Former", releases(), due_on="2020-01-31")
    draft = await client.get(page_path)
    check_structure(draft.text)
    assert "<progress" in draft.text and 'value="35"' in draft.text
    assert "<svg" in draft.text and 'class="programme-table summary-table"' in draft.text
    assert "En retard" in draft.text or "Overdue" in draft.text
    submitted = await post(client, f"{page_path}/submission")
    assert submitted.status_code == 303
    report = await client.get(page_path)
    assert re.search(r'<code class="hash">[0-9a-f]{64}</code>\s*</dd></div>\s*<div><dt>', report.text)
    assert (await client.get(f"{page_path}/themes/REC")).headers["location"] == page_path

    shared = await post(client, f"{page_path}/share-links", {"expires_in_days": "7"})
    assert shared.status_code == 200 and "?share=" in shared.text
    token = share_token(shared.text)
    assert (await post(client, f"{page_path}/share-links", {"expires_in_days": "366"})).status_code == 400
    link_id = re.search(r'action="/share-links/(\d+)/revocation"', shared.text).group(1)

    client.cookies.clear()
    read = await client.get(f"{page_path}?share={token}")
    assert read.status_code == 200 and read.headers["cache-control"] == "no-store"
    assert 'method="post"' not in read.text and "<svg" in read.text
    assert '<meta name="referrer" content="no-referrer">' in read.text
    assert (await client.get(f"{page_path}?share={token}&utm=x")).status_code == 400  # nothing else kept
    # The language switch comes back to the page through the same link.
    assert f"/language/en?next={quote(f'{page_path}?share={token}', safe='/')}" in read.text
    as_json = await client.get(f"{page_path}.json?share={token}")
    assert as_json.status_code == 200 and as_json.json()["status"] == "submitted"
    assert (await client.get(f"{page_path}.csv?share={token}")).status_code == 200

    await sign_in(client, "admin@example.org")
    revoked = await post(client, f"/share-links/{link_id}/revocation")
    assert revoked.status_code == 303
    client.cookies.clear()
    assert (await client.get(f"{page_path}?share={token}")).status_code == 403
    assert (await client.get(f"{page_path}.csv?share={token}")).status_code == 403


async def test_the_next_assessment_and_the_plan_from_the_page(client):
    admin = await person("admin@example.org", "Awa")
    programme_id, assessment_id = await programme_with_draft(admin)
    await sign_in(client, "admin@example.org")
    planned = await post(
        client,
        f"/assessments/{assessment_id}/actions",
        {"indicator": "REC-1", "title": "Former les mentors", "owner": "Awa", "due_on": "2020-01-31"},
    )
    assert planned.status_code == 303
    page = await client.get(f"/assessments/{assessment_id}")
    action_id = re.search(r'id="action-(\d+)"', page.text).group(1)
    bad = await post(client, f"/assessments/{assessment_id}/actions", {"indicator": "REC-1", "title": ""})
    assert bad.status_code == 400 and 'id="form-add-action-title-error"' in bad.text
    done = await post(client, f"/actions/{action_id}", {"status": "done", "assessment": str(assessment_id)})
    assert done.status_code == 303
    assert "Former les mentors" in (await client.get(f"/programmes/{programme_id}")).text

    await answer_all(admin, assessment_id)
    await post(client, f"/assessments/{assessment_id}/submission")
    version = await publish_changes()  # REC-1 amended, REC-4 retired, REC-5 added
    successor = await post(client, f"/assessments/{assessment_id}/successor", {"release": version})
    assert successor.status_code == 303
    carried = await client.get(successor.headers["location"])
    text = unescaped(carried)
    assert "34 sur 35 indicateurs renseignés" in text and 'id="archived-title"' in carried.text
    review = await client.get(f"{successor.headers['location']}/themes/REC")
    check_structure(review.text)
    rec_1 = review.text.split('id="indicator-REC-1"')[1].split('id="indicator-REC-2"')[0]
    assert 'class="notice review"' in rec_1 and ("<ins>" in rec_1 or "<del>" in rec_1)


async def test_nobody_else_reads_an_assessment(client):
    admin = await person("admin@example.org", "Awa")
    await person("outsider@example.org", "Omar")
    _programme_id, assessment_id = await programme_with_draft(admin)
    outsider = await person("other-admin@example.org", "Olga")
    await make_programme(outsider, "Autre")
    page_path = f"/assessments/{assessment_id}"
    for path in (page_path, f"{page_path}/themes/REC", f"{page_path}.csv", f"{page_path}.json"):
        client.cookies.clear()
        signed_out = await client.get(path)
        assert signed_out.status_code == 303, path
        assert signed_out.headers["location"].startswith("/sign-in?next=%2Fassessments%2F")
        await sign_in(client, "other-admin@example.org")
        assert (await client.get(path)).status_code == 403, path
    assert (await client.get("/programmes/1")).status_code == 403
    for odd in ("/assessments/01", "/assessments/1.md", "/assessments/x.csv", "/assessments/1.csv.csv"):
        assert (await client.get(odd)).status_code == 404, odd


@pytest.mark.parametrize(
    "path",
    [
        "/programmes",
        "/programmes/1/members",
        "/programmes/1/members/1/removal",
        "/programmes/1/assessments",
        "/assessments/1/submission",
        "/assessments/1/successor",
        "/assessments/1/share-links",
        "/share-links/1/revocation",
        "/assessments/1/actions",
        "/actions/1",
        "/assessments/1/themes/REC",
    ],
)
async def test_every_form_needs_its_csrf_token(client, path: str):
    admin = await person("admin@example.org", "Awa")
    await programme_with_draft(admin)
    await sign_in(client, "admin@example.org")
    response = await client.post(path, data={"anything": "x"})
    assert response.status_code == 403


async def test_the_kept_assessment_page_follows_every_change_of_its_programme(client, other):
    admin = await person("admin@example.org", "Awa")
    colleague = await person("colleague@example.org", "Bastien")
    programme_id, assessment_id = await programme_with_draft(admin)
    await set_member(admin, programme_id, colleague.id, "contributor")
    page_path = f"/assessments/{assessment_id}"
    await sign_in(client, "admin@example.org")
    await sign_in(other, "colleague@example.org")
    assert 'action="/assessments/' in (await other.get(page_path)).text  # a contributor's forms
    saved = await post(other, f"{page_path}/themes/REC", theme_form({"REC-1": "exemplary"}, then="return"))
    assert saved.status_code == 303
    assert 'max="35" value="1"' in (await client.get(page_path)).text
    await set_member(admin, programme_id, colleague.id, "viewer")
    assert f'action="{page_path}/actions"' not in (await other.get(page_path)).text
    await set_member(admin, programme_id, colleague.id, "contributor")
    await post(client, f"/programmes/{programme_id}/members/{colleague.id}/removal")
    assert (await other.get(page_path)).status_code == 403


async def test_saving_a_theme_leaves_alone_what_the_visitor_did_not_change(client):
    admin = await person("admin@example.org", "Awa")
    colleague = await person("colleague@example.org", "Karim")
    programme_id, assessment_id = await programme_with_draft(admin)
    await set_member(admin, programme_id, colleague.id, "contributor")
    await save_answer(admin, assessment_id, AnswerInput("REC-2", "in_progress"), releases())
    theme = f"/assessments/{assessment_id}/themes/REC"
    await sign_in(client, "admin@example.org")
    read = (await client.get(theme)).text
    hidden = dict(re.findall(r'name="((?:read|version)-[A-Z]+-\d+)" value="([^"]*)"', read))
    # Meanwhile, a colleague changes REC-2; the visitor then answers REC-1 only.
    await save_answer(colleague, assessment_id, AnswerInput("REC-2", "exemplary", version=1), releases())
    saved = await post(client, theme, {**hidden, "level-REC-2": "in_progress", "level-REC-1": "in_place"})
    assert saved.status_code == 303, saved.text
    levels = {a.indicator: a.level for a in (await read_assessment(admin, assessment_id, releases())).answers}
    assert (levels["REC-1"], levels["REC-2"]) == ("in_place", "exemplary")
