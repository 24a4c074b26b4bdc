"""The life of a change through the JSON API, as the contract describes it."""

from __future__ import annotations

import pytest

from proposals.roles import Role
from tests.api_client import Api
from tests.constants import AMENDMENT

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
async def api(client) -> Api:
    return Api(client)


@pytest.fixture
async def people(api: Api) -> dict:
    steward = await api.token("steward@example.org", Role.steward)
    author = await api.token("author@example.org")
    members = [await api.token(f"m{i}@example.org", name=f"Membre {i}") for i in range(3)]
    outsider = await api.token("outsider@example.org")
    group = await api.call(
        "POST",
        "/frameworks/qualite-mentorat/working-groups",
        steward,
        json={"name": "Recrutement", "themes": ["REC"]},
    )
    assert group.status_code == 201, group.text
    for member in members:
        added = await api.call("PUT", f"/working-groups/{group.json()['id']}/members/{member['id']}", steward)
        assert added.status_code == 200
    return {"steward": steward, "author": author, "members": members, "outsider": outsider}


async def test_the_life_of_an_amendment(api: Api, people: dict):
    steward, author, members = people["steward"], people["author"], people["members"]
    created = await api.call("POST", "/frameworks/qualite-mentorat/proposals", author, json=AMENDMENT)
    assert created.status_code == 201, created.text
    proposal = created.json()
    assert proposal["status"] == "discussion"
    assert proposal["html_url"] == f"https://testserver/proposals/{proposal['id']}"
    statement = next(change for change in proposal["diff"] if change["field"] == "statement")
    assert "{+" in statement["diff"] and "[-" in statement["diff"]
    pid = proposal["id"]

    comment = await api.call(
        "POST", f"/proposals/{pid}/comments", members[0], json={"body": "D'accord *sur le fond*."}
    )
    assert comment.status_code == 201
    reply = await api.call(
        "POST", f"/proposals/{pid}/comments", author, json={"body": "Merci", "reply_to": comment.json()["id"]}
    )
    assert reply.json()["depth"] == 1
    thread = (await api.call("GET", f"/proposals/{pid}/comments")).json()
    assert [c["depth"] for c in thread] == [0, 1]
    assert "<em>sur le fond</em>" in thread[0]["body_html"]

    too_early = await api.call("POST", f"/proposals/{pid}/voting", author)
    assert too_early.status_code == 409
    assert (await api.call("POST", f"/proposals/{pid}/voting", people["outsider"])).status_code == 403
    opened = await api.call("POST", f"/proposals/{pid}/voting", steward)
    assert opened.status_code == 200 and opened.json()["status"] == "voting"

    assert (
        await api.call("PUT", f"/proposals/{pid}/vote", people["outsider"], json={"choice": "for"})
    ).status_code == 403
    await api.call(
        "PUT", f"/proposals/{pid}/vote", members[0], json={"choice": "against", "reason": "Trop rigide."}
    )
    await api.call("PUT", f"/proposals/{pid}/vote", members[0], json={"choice": "for"})  # changes the vote
    await api.call(
        "PUT", f"/proposals/{pid}/vote", members[1], json={"choice": "against", "reason": "Pas en mois."}
    )
    await api.call("PUT", f"/proposals/{pid}/vote", members[2], json={"choice": "for"})
    during = (await api.call("GET", f"/proposals/{pid}")).json()
    assert during["tally"] is None
    assert (
        during["vote"]["voted"] == 3
        and during["vote"]["group_size"] == 3
        and during["vote"]["quorum_needed"] == 2
    )

    assert (await api.call("POST", f"/proposals/{pid}/decision", author)).status_code == 403
    decision = await api.call("POST", f"/proposals/{pid}/decision", steward)
    assert decision.status_code == 200, decision.text
    body = decision.json()
    assert body["status"] == "accepted"
    assert body["tally"]["for"] == 2 and body["tally"]["against"] == 1
    assert body["release"]["version"] == "1.1.0"
    latest = (await api.call("GET", "/frameworks/qualite-mentorat/releases/latest")).json()
    assert latest["version"] == "1.1.0"
    assert latest["proposal"]["id"] == pid
    assert latest["themes"][0]["indicators"][0]["statement"].endswith("en mois.")
    assert (await api.call("POST", f"/proposals/{pid}/decision", steward)).status_code == 409
    assert (
        await api.call("PUT", f"/proposals/{pid}/vote", members[0], json={"choice": "for"})
    ).status_code == 409


async def test_revisions_are_kept_and_a_stale_copy_is_refused(api: Api, people: dict):
    author = people["author"]
    pid = (await api.call("POST", "/frameworks/qualite-mentorat/proposals", author, json=AMENDMENT)).json()[
        "id"
    ]
    first = await api.call("PATCH", f"/proposals/{pid}", author, json={"revision": 1, "title": "Titre revu"})
    assert first.status_code == 200 and first.json()["revision"] == 2
    stale = await api.call("PATCH", f"/proposals/{pid}", author, json={"revision": 1, "title": "Autre titre"})
    assert stale.status_code == 409
    assert "revision" in stale.json()["detail"]
    assert (await api.call("GET", f"/proposals/{pid}")).json()["title"] == "Titre revu"
    other = await api.call(
        "PATCH", f"/proposals/{pid}", people["outsider"], json={"revision": 2, "title": "x"}
    )
    assert other.status_code == 403


async def test_withdrawal(api: Api, people: dict):
    author = people["author"]
    pid = (await api.call("POST", "/frameworks/qualite-mentorat/proposals", author, json=AMENDMENT)).json()[
        "id"
    ]
    assert (await api.call("POST", f"/proposals/{pid}/withdrawal", people["outsider"])).status_code == 403
    withdrawn = await api.call("POST", f"/proposals/{pid}/withdrawal", author)
    assert withdrawn.json()["status"] == "withdrawn"
    assert (await api.call("POST", f"/proposals/{pid}/withdrawal", author)).status_code == 409


async def test_list_is_paginated_and_filtered(api: Api, people: dict):
    author = people["author"]
    for number in range(5):
        body = {**AMENDMENT, "title": f"Proposition {number}"}
        assert (
            await api.call("POST", "/frameworks/qualite-mentorat/proposals", author, json=body)
        ).status_code == 201
    page = (
        await api.call("GET", "/proposals?framework=qualite-mentorat&status=discussion&per_page=2&page=2")
    ).json()
    assert page["total"] == 5 and page["pages"] == 3
    assert [item["title"] for item in page["items"]] == ["Proposition 2", "Proposition 1"]
    assert (await api.call("GET", "/proposals?status=voting")).json()["total"] == 0
    bad = await api.call("GET", "/proposals?status=nonsense")
    assert bad.status_code == 400 and "nonsense" in bad.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({**AMENDMENT, "kind": "rewrite"}, 400, "kind"),
        ({**AMENDMENT, "status": "accepted"}, 400, "status"),
        ({**AMENDMENT, "author": 1}, 400, "author"),
        ({**AMENDMENT, "title": 42}, 400, "title"),
        ({k: v for k, v in AMENDMENT.items() if k != "rationale"}, 400, "rationale"),
        ({**AMENDMENT, "title": "x" * 201}, 400, "200"),
        ({**AMENDMENT, "indicator": "NOPE-1"}, 404, "NOPE-1"),
        ({**AMENDMENT, "base_version": "9.9.9"}, 404, "9.9.9"),
        ({**AMENDMENT, "content": {"statement": "x", "colour": "red"}}, 400, "colour"),
        (
            {"kind": "add", "base_version": "latest", "title": "t", "rationale": "r", "theme": "NOPE"},
            404,
            "NOPE",
        ),
    ],
)
async def test_bad_proposals_say_what_is_wrong_and_store_nothing(
    api: Api, people: dict, body, status, message
):
    response = await api.call("POST", "/frameworks/qualite-mentorat/proposals", people["author"], json=body)
    assert response.status_code == status, response.text
    assert message in response.text
    assert (await api.call("GET", "/proposals")).json()["total"] == 0


async def test_unknown_or_odd_ids(api: Api, people: dict):
    for path in (
        "/proposals/999999",
        "/proposals/0",
        "/proposals/-1",
        "/proposals/99999999999999999999",
        "/proposals/x",
    ):
        response = await api.call("GET", path)
        assert response.status_code in (400, 404), path
        assert response.json()["detail"]


async def test_signed_out_callers_get_401(api: Api):
    response = await api.call("POST", "/frameworks/qualite-mentorat/proposals", None, json=AMENDMENT)
    assert response.status_code == 401
    assert "Sign in" in response.json()["detail"]


async def test_stewards_set_the_decision_rule(api: Api, people: dict):
    assert (await api.call("GET", "/frameworks/qualite-mentorat/decision-rule")).json() == {
        "min_discussion_days": 7,
        "voting_days": 7,
        "quorum": "1/2",
        "retire_threshold": "2/3",
        "last_call_days": 0,
        "review_months": 24,
    }
    changed = await api.call(
        "PUT",
        "/frameworks/qualite-mentorat/decision-rule",
        people["steward"],
        json={"voting_days": 3, "quorum": "0.6"},
    )
    assert (
        changed.status_code == 200
        and changed.json()["voting_days"] == 3
        and changed.json()["quorum"] == "3/5"
    )
    bad = await api.call(
        "PUT", "/frameworks/qualite-mentorat/decision-rule", people["steward"], json={"quorum": "2"}
    )
    assert bad.status_code == 400 and "between" in bad.json()["detail"]
    denied = await api.call(
        "PUT", "/frameworks/qualite-mentorat/decision-rule", people["author"], json={"quorum": "1"}
    )
    assert denied.status_code == 403
