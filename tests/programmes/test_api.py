"""Programmes and self-assessment through the JSON API, as contract.md describes it."""

from __future__ import annotations

import pytest

from tests.api_client import Api
from tests.constants import SLUG

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
async def api(client) -> Api:
    return Api(client)


async def programme(api: Api, admin: dict, **body) -> int:
    created = await api.call(
        "POST",
        "/programmes",
        admin,
        json={"name": "Parrains 93", "department": "93", "territory_kinds": ["qpv"], **body},
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def answer_everything(api: Api, who: dict, assessment_id: int, level: str = "in_place") -> None:
    read = (await api.call("GET", f"/assessments/{assessment_id}", who)).json()
    for answer in read["answers"]:
        body = {"level": level, "version": answer["version"]}
        saved = await api.call(
            "PUT", f"/assessments/{assessment_id}/answers/{answer['indicator']}", who, json=body
        )
        assert saved.status_code == 200, saved.text


async def test_a_programme_assesses_itself_and_submits(api: Api):
    admin = await api.token("admin@example.org")
    contributor = await api.token("contrib@example.org")
    programme_id = await programme(api, admin)
    added = await api.call(
        "PUT", f"/programmes/{programme_id}/members/{contributor['id']}", admin, json={"role": "contributor"}
    )
    assert added.status_code == 200, added.text
    read = (await api.call("GET", f"/programmes/{programme_id}", contributor)).json()
    assert read["department"] == "93" and read["territory_kinds"] == ["qpv"]
    assert {m["role"] for m in read["members"]} == {"admin", "contributor"}

    started = await api.call(
        "POST",
        f"/programmes/{programme_id}/assessments",
        contributor,
        json={"framework": SLUG, "release": "latest"},
    )
    assert started.status_code == 201, started.text
    assert started.json()["status"] == "draft" and started.json()["release"] == "1.0.0"
    assessment_id = started.json()["id"]

    saved = await api.call(
        "PUT",
        f"/assessments/{assessment_id}/answers/REC-1",
        contributor,
        json={"level": "in_progress", "evidence": "**Charte** signée", "version": 0},
    )
    assert saved.status_code == 200 and saved.json()["version"] == 1
    stale = await api.call(
        "PUT", f"/assessments/{assessment_id}/answers/REC-1", admin, json={"level": "in_place", "version": 0}
    )
    assert stale.status_code == 409 and "version" in stale.json()["detail"]
    refused = await api.call(
        "PUT", f"/assessments/{assessment_id}/answers/REC-1", admin, json={"level": "not_applicable"}
    )
    assert refused.status_code == 400 and "justification" in refused.json()["detail"]
    wrong_type = await api.call(
        "PUT",
        f"/assessments/{assessment_id}/answers/REC-1",
        admin,
        json={"level": "in_place", "version": "1"},
    )
    assert wrong_type.status_code == 400

    early = await api.call("POST", f"/assessments/{assessment_id}/submission", admin)
    assert early.status_code == 409
    await answer_everything(api, contributor, assessment_id)
    by_contributor = await api.call("POST", f"/assessments/{assessment_id}/submission", contributor)
    assert by_contributor.status_code == 403
    submitted = await api.call("POST", f"/assessments/{assessment_id}/submission", admin)
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert len(submitted.json()["content_hash"]) == 64
    frozen = await api.call(
        "PUT", f"/assessments/{assessment_id}/answers/REC-1", admin, json={"level": "exemplary"}
    )
    assert frozen.status_code == 409

    body = (await api.call("GET", f"/assessments/{assessment_id}", contributor)).json()
    assert body["progress"]["answered"] == body["progress"]["total"] > 0
    assert body["status"] == "submitted" and body["content_hash"] == submitted.json()["content_hash"]
    assert sum(sum(t["counts"].values()) for t in body["by_theme"]) == body["progress"]["total"]


async def test_nobody_else_reads_an_assessment_except_through_its_own_share_link(api: Api, client):
    admin_a, admin_b = await api.token("a@example.org"), await api.token("b@example.org")
    a = await programme(api, admin_a)
    b = await programme(api, admin_b, name="Autre")
    started_a = await api.call("POST", f"/programmes/{a}/assessments", admin_a, json={"framework": SLUG})
    started_b = await api.call("POST", f"/programmes/{b}/assessments", admin_b, json={"framework": SLUG})
    id_a, id_b = started_a.json()["id"], started_b.json()["id"]
    assert (await api.call("GET", f"/assessments/{id_a}", admin_b)).status_code == 403
    assert (await api.call("GET", f"/assessments/{id_a}")).status_code == 401
    assert (await api.call("GET", f"/programmes/{a}", admin_b)).status_code == 403
    assert (
        await client.get(f"/assessments/{id_a}.json", headers={"Authorization": admin_b["Authorization"]})
    ).status_code in (401, 403)

    shared_b = await api.call(
        "POST", f"/assessments/{id_b}/share-links", admin_b, json={"expires_in_days": 7}
    )
    assert shared_b.status_code == 201, shared_b.text
    token_b = shared_b.json()["url"].split("share=")[1]
    assert (await api.call("GET", f"/assessments/{id_b}", params={"share": token_b})).status_code == 200
    assert (await api.call("GET", f"/assessments/{id_a}", params={"share": token_b})).status_code == 403
    assert (
        await api.call("POST", f"/assessments/{id_a}/share-links", admin_b, json={"expires_in_days": 7})
    ).status_code == 403
    assert (await api.call("DELETE", f"/share-links/{shared_b.json()['id']}", admin_a)).status_code == 403
    revoked = await api.call("DELETE", f"/share-links/{shared_b.json()['id']}", admin_b)
    assert revoked.status_code == 204
    assert (await api.call("GET", f"/assessments/{id_b}", params={"share": token_b})).status_code == 403
    for days in (0, 366, "7", True):
        bad = await api.call(
            "POST", f"/assessments/{id_b}/share-links", admin_b, json={"expires_in_days": days}
        )
        assert bad.status_code == 400, days


async def test_actions_of_the_improvement_plan(api: Api):
    admin = await api.token("admin@example.org")
    programme_id = await programme(api, admin)
    assessment_id = (
        await api.call("POST", f"/programmes/{programme_id}/assessments", admin, json={"framework": SLUG})
    ).json()["id"]
    created = await api.call(
        "POST",
        f"/assessments/{assessment_id}/actions",
        admin,
        json={"indicator": "REC-1", "title": "Former les mentors", "owner": "Awa", "due_on": "2020-01-31"},
    )
    assert created.status_code == 201, created.text
    action = created.json()
    assert action["status"] == "planned" and action["due_on"] == "2020-01-31"
    changed = await api.call("PATCH", f"/actions/{action['id']}", admin, json={"status": "doing"})
    assert (
        changed.status_code == 200
        and changed.json()["status"] == "doing"
        and changed.json()["owner"] == "Awa"
    )
    for body in ({"status": "finished"}, {"due_on": "31/01/2020"}, {"title": ""}):
        assert (await api.call("PATCH", f"/actions/{action['id']}", admin, json=body)).status_code == 400, (
            body
        )
    unknown = await api.call(
        "POST", f"/assessments/{assessment_id}/actions", admin, json={"indicator": "NOPE-9", "title": "x"}
    )
    assert unknown.status_code == 400
