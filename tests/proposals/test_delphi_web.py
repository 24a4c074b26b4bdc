"""Delphi rounds through the API and the pages (on both engines): the contract's shapes, who may do
what, the forms, the report and its files, and that nothing shows who rated what."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from proposals.roles import Role
from tests.api_client import Api
from tests.constants import SLUG
from tests.proposals.browsing import check_structure, csrf_of, post, sign_in, unescaped

CLOSES = (datetime.now(UTC) + timedelta(days=7)).isoformat().replace("+00:00", "Z")
# Values no figure can take by chance (a panel of four rates 1-9): each member's own, to look for.
SECRET_COMMENT = "Mon avis très personnel"


async def panel(api: Api, size: int = 4):
    """A steward, a working group for REC with `size` members (API tokens), and two proposals."""
    steward = await api.token("steward@example.org", Role.steward, "Sam Steward")
    members = [await api.token(f"m{i}@example.org", Role.member, f"Membre {i}") for i in range(size)]
    group = (
        await api.call(
            "POST", f"/frameworks/{SLUG}/working-groups", steward, json={"name": "GT", "themes": ["REC"]}
        )
    ).json()
    for member in members:
        await api.call("PUT", f"/working-groups/{group['id']}/members/{member['id']}", steward)
    author = await api.token("author@example.org")
    ids = []
    for title in ("Objectifs", "Fins de relation"):
        body = {
            "kind": "amend" if title == "Fins de relation" else "add",
            "base_version": "latest",
            "title": title,
            "rationale": "Parce que.",
            **(
                {"indicator": "REC-1", "content": {"statement": "Un nouvel énoncé."}}
                if title == "Fins de relation"
                else {
                    "theme": "REC",
                    "content": {
                        "title": "Objectifs",
                        "statement": "Le binôme a des objectifs.",
                        "rationale": "Engagement.",
                        "evidence_level": "practice",
                    },
                }
            ),
        }
        response = await api.call("POST", f"/frameworks/{SLUG}/proposals", author, json=body)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return steward, members, group["id"], ids


async def test_the_whole_process_through_the_api(client):
    api = Api(client)
    steward, members, group, ids = await panel(api)
    body = {"title": "Sélection 2027", "proposals": ids, "closes_at": CLOSES, "instructions": "Notez."}
    refused = await api.call("POST", f"/working-groups/{group}/delphi", members[0], json=body)
    assert refused.status_code == 403
    opened = await api.call("POST", f"/working-groups/{group}/delphi", steward, json=body)
    assert opened.status_code == 201 and opened.json() == {"id": 1, "round": 1}
    # Round 1: the first proposal appropriate on both criteria, the second split.
    for member, split in zip(members, (1, 9, 1, 9), strict=True):
        for proposal, values in (
            (ids[0], {"relevance": 8, "feasibility": 9}),
            (ids[1], {"relevance": split, "feasibility": 7}),
        ):
            answer = await api.call(
                "PUT",
                f"/delphi/1/ratings/{proposal}",
                member,
                json={"ratings": values, "comment": SECRET_COMMENT if member is members[0] else None},
            )
            assert answer.status_code == 200, answer.text
    again = await api.call(
        "PUT", f"/delphi/1/ratings/{ids[0]}", members[0], json={"ratings": {"relevance": 7, "feasibility": 9}}
    )
    assert again.json() == {
        "proposal": ids[0],
        "round": 1,
        "ratings": {"relevance": 7, "feasibility": 9},
        "comment": "",
    }
    mine = (await api.call("GET", "/delphi/1/my-ratings", members[0])).json()
    assert mine == [
        {"round": 1, "proposal": ids[0], "ratings": {"relevance": 7, "feasibility": 9}, "comment": ""},
        {
            "round": 1,
            "proposal": ids[1],
            "ratings": {"relevance": 1, "feasibility": 7},
            "comment": SECRET_COMMENT,
        },
    ]
    seen = (await api.call("GET", "/delphi/1", members[1])).json()
    assert (seen["status"], seen["round"], seen["criteria"]) == ("rating", 1, ["relevance", "feasibility"])
    assert "figures" not in seen["rounds"][0]["items"][0] and "progress" not in seen
    as_steward = (await api.call("GET", "/delphi/1", steward)).json()
    assert as_steward["progress"] == {"panel_size": 4, "completed": 4, "pending": []}
    assert (await api.call("POST", "/delphi/1/close-round", members[0])).status_code == 403
    closed = await api.call("POST", "/delphi/1/close-round", steward)
    assert closed.status_code == 200
    items = {item["proposal"]["id"]: item for item in closed.json()["rounds"][0]["items"]}
    assert items[ids[0]]["outcome"] == "retained"
    assert items[ids[0]]["figures"]["relevance"] == {
        "ratings": 4,
        "counts": [0, 0, 0, 0, 0, 0, 1, 3, 0],
        "median": 8,
        "p30": 7.9,
        "p70": 8,
        "ipr": 0.1,
        "ipras": 6.775,
        "disagreement": False,
        "classification": "appropriate",
    }
    assert items[ids[1]]["figures"]["relevance"]["disagreement"] is True
    assert items[ids[1]]["outcome"] == "re_rate"
    late = await api.call(
        "PUT", f"/delphi/1/ratings/{ids[1]}", members[0], json={"ratings": {"relevance": 5}}
    )
    assert late.status_code == 409 and "No round" in late.json()["detail"]
    # Round 2: the split proposal only; the panel agrees it is appropriate.
    second = await api.call("POST", "/delphi/1/next-round", steward)
    assert second.status_code == 200 and second.json() == {"round": 2}
    for member in members:
        await api.call(
            "PUT", f"/delphi/1/ratings/{ids[1]}", member, json={"ratings": {"relevance": 8, "feasibility": 8}}
        )
    await api.call("POST", "/delphi/1/close-round", steward)
    concluded = await api.call("POST", "/delphi/1/conclusion", steward)
    assert concluded.status_code == 200, concluded.text
    result = concluded.json()
    assert (result["retained"], result["rejected"], result["returned"]) == (ids, [], [])
    assert result["release"]["version"] == "1.1.0"
    for proposal in ids:
        view = (await api.call("GET", f"/proposals/{proposal}")).json()
        assert view["status"] == "accepted"
    final = (await api.call("GET", "/delphi/1", members[2])).json()
    assert final["status"] == "concluded" and final["release"]["version"] == "1.1.0"
    assert [r["response_rate"] for r in final["rounds"]] == [1.0, 1.0]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"title": "T", "proposals": [], "closes_at": CLOSES}, 400, "Choose at least one proposal"),
        ({"title": "T", "proposals": [1], "closes_at": "demain"}, 400, "closes_at"),
        ({"title": "T", "proposals": [1], "closes_at": "2020-01-01T00:00:00Z"}, 400, "in the future"),
        ({"title": "T", "proposals": [1], "closes_at": CLOSES, "status": "concluded"}, 400, "status"),
        ({"title": "T", "proposals": ["1"], "closes_at": CLOSES}, 400, "proposals"),
        ({"proposals": [1], "closes_at": CLOSES}, 400, "title"),
    ],
)
async def test_bad_openings_are_refused_in_plain_words(client, body, status, words):
    api = Api(client)
    steward, _members, group, _ids = await panel(api)
    answer = await api.call("POST", f"/working-groups/{group}/delphi", steward, json=body)
    assert answer.status_code == status, answer.text
    assert words in answer.json()["detail"]


async def test_bad_ratings_and_strangers_are_refused(client):
    api = Api(client)
    steward, members, group, ids = await panel(api)
    await api.call(
        "POST",
        f"/working-groups/{group}/delphi",
        steward,
        json={"title": "T", "proposals": ids, "closes_at": CLOSES},
    )
    for ratings, status in (
        ({"relevance": 0}, 400),
        ({"relevance": "7"}, 400),
        ({"beauty": 5}, 400),
        ({}, 400),
    ):
        answer = await api.call("PUT", f"/delphi/1/ratings/{ids[0]}", members[0], json={"ratings": ratings})
        assert answer.status_code == status, (ratings, answer.text)
    stranger = await api.token("stranger@example.org")
    answer = await api.call(
        "PUT", f"/delphi/1/ratings/{ids[0]}", stranger, json={"ratings": {"relevance": 5}}
    )
    assert answer.status_code == 403
    assert (await api.call("GET", "/delphi/1/my-ratings", stranger)).status_code == 403
    assert (await api.call("GET", "/delphi/1")).status_code == 401
    assert (await api.call("GET", "/delphi/99", steward)).status_code == 404
    assert (
        await api.call("PUT", "/delphi/1/ratings/999", members[0], json={"ratings": {"relevance": 5}})
    ).status_code == 404


async def test_nothing_shows_who_rated_what(client):
    """The process, the report and its files, the pages and the audit log: the panel's figures only."""
    api = Api(client)
    steward, members, group, ids = await panel(api)
    await api.call(
        "POST",
        f"/working-groups/{group}/delphi",
        steward,
        json={"title": "T", "proposals": ids, "closes_at": CLOSES},
    )
    for member, value in zip(members, (2, 5, 6, 9), strict=True):
        comment = f"{SECRET_COMMENT} {value}"
        await api.call(
            "PUT",
            f"/delphi/1/ratings/{ids[0]}",
            member,
            json={"ratings": {"relevance": value, "feasibility": value}, "comment": comment},
        )
    await api.call("POST", "/delphi/1/close-round", steward)
    await api.call("POST", "/delphi/1/next-round", steward)
    await api.call("POST", "/delphi/1/close-round", steward)
    await api.call("POST", "/delphi/1/conclusion", steward)
    names = [f"Membre {i}" for i in range(4)]
    await sign_in(client, "steward@example.org")
    pages = [
        (await api.call("GET", "/delphi/1", steward)).text,
        (await client.get("/delphi/1")).text,
        (await client.get("/delphi/1/report")).text,
        (await client.get("/delphi/1/report.csv")).text,
        (await client.get("/delphi/1/report.json")).text,
        (await client.get("/steward/audit")).text,
        (await client.get(f"/proposals/{ids[0]}")).text,
    ]
    audit = (await client.get("/steward/audit")).text
    for text in pages:
        for name in names:
            # The steward's pages name members only where a list of members is shown: never beside a value.
            assert f"{name}: " not in text
        assert '"rater"' not in text and '"value"' not in text
    assert "delphi.rated" in audit or "rated" in audit
    for key in ('"relevance": 2', '"relevance": 9'):
        assert key not in json.dumps(json.loads(pages[0]))
    # The comments are shown to the panel, without names, in the next round: never in the report.
    assert SECRET_COMMENT not in pages[4] and SECRET_COMMENT not in pages[3]


async def test_the_pages_open_rate_close_and_conclude(client):
    api = Api(client)
    _steward, _members, group, ids = await panel(api, size=3)
    await sign_in(client, "steward@example.org")
    form = await client.get(f"/working-groups/{group}/delphi/new")
    assert form.status_code == 200
    check_structure(form.text)
    closes = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    refused = await post(client, f"/working-groups/{group}/delphi", {"title": "", "closes_at": closes})
    assert refused.status_code == 400 and "est vide" in unescaped(refused)
    opened = await client.post(
        f"/working-groups/{group}/delphi",
        data={
            "_csrf_token": csrf_of(form.text),
            "title": "Lot",
            "closes_at": closes,
            "proposals": [str(i) for i in ids],
            "criteria": ["relevance", "feasibility"],
        },
    )
    assert opened.status_code == 303 and opened.headers["location"] == "/delphi/1"
    for number in range(3):
        await sign_in(client, f"m{number}@example.org")
        page = await client.get("/delphi/1")
        check_structure(page.text)
        for proposal in ids:
            rated = await post(
                client,
                f"/delphi/1/ratings/{proposal}",
                {"rating-relevance": "8", "rating-feasibility": "9", "comment": "Bien"},
            )
            assert rated.status_code == 303, rated.text
    bad = await post(client, f"/delphi/1/ratings/{ids[0]}", {"rating-relevance": "12"})
    assert (bad.status_code == 400 and "1 to 9" in unescaped(bad)) or "1 à 9" in unescaped(bad)
    assert "Your ratings are saved" in unescaped(
        await client.get("/delphi/1")
    ) or "enregistrées" in unescaped(await client.get("/delphi/1"))
    assert (await post(client, "/delphi/1/close-round")).status_code == 403
    await sign_in(client, "steward@example.org")
    assert (await post(client, "/delphi/1/close-round")).status_code == 303
    assert (await post(client, "/delphi/1/conclusion")).status_code == 303
    page = unescaped(await client.get("/delphi/1"))
    check_structure(page)
    assert "1.1.0" in page
    report = await client.get("/delphi/1/report")
    check_structure(report.text)
    client.cookies.clear()
    # Concluded: the report is public, with its files.
    assert (await client.get("/delphi/1/report")).status_code == 200
    rows = list(csv.reader(io.StringIO((await client.get("/delphi/1/report.csv")).text)))
    assert rows[0][:5] == ["round", "proposal", "title", "criterion", "ratings"]
    assert len(rows) == 1 + 2 * 2
    assert (await client.get("/delphi/1")).status_code == 303  # the process page itself: signed in
    proposal_page = unescaped(await client.get(f"/proposals/{ids[0]}"))
    assert "/delphi/1/report" in proposal_page
    # The report is published with the release it led to; other releases say nothing of it.
    assert 'href="/delphi/1/report"' in (await client.get(f"/frameworks/{SLUG}/releases/1.1.0")).text
    assert "/delphi/" not in (await client.get(f"/frameworks/{SLUG}/releases/1.0.0")).text


async def test_an_open_process_report_is_for_signed_in_people(client):
    api = Api(client)
    steward, _members, group, ids = await panel(api)
    await api.call(
        "POST",
        f"/working-groups/{group}/delphi",
        steward,
        json={"title": "T", "proposals": ids, "closes_at": CLOSES},
    )
    for path in ("/delphi/1/report", "/delphi/1/report.csv", "/delphi/1/report.json", "/delphi"):
        answer = await client.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in"), path
    proposal_page = unescaped(await client.get(f"/proposals/{ids[0]}"))
    assert 'href="/delphi/1"' in proposal_page


async def test_odd_digits_and_broken_json_are_refused_not_failed(client):
    api = Api(client)
    steward, members, group, ids = await panel(api, size=3)
    await sign_in(client, "steward@example.org")
    closes = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    odd = await post(
        client, f"/working-groups/{group}/delphi", {"title": "T", "closes_at": closes, "proposals": "²"}
    )
    assert odd.status_code == 400
    await api.call(
        "POST",
        f"/working-groups/{group}/delphi",
        steward,
        json={"title": "T", "proposals": ids, "closes_at": CLOSES},
    )
    await sign_in(client, "m0@example.org")
    rated = await post(client, f"/delphi/1/ratings/{ids[0]}", {"rating-relevance": "²"})
    assert rated.status_code == 400
    await api.call("POST", "/delphi/1/close-round", steward)
    broken = await client.post(
        "/api/v1/delphi/1/next-round",
        content=b"{",
        headers={"Authorization": steward["Authorization"], "Content-Type": "application/json"},
    )
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["detail"]
    assert members
