"""Who may call what: every route of the app is in this table, and the server enforces it.

A new route fails `test_every_route_is_in_the_table` until someone decides who may call it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from indicators.adaptations import create_adaptation
from programmes.assessments import start_assessment
from programmes.membership import create_programme, set_member
from programmes.plan import add_action
from programmes.sharing import create_share_link
from proposals.access import create_api_token, describe_token
from proposals.accounts import get_account, register_account
from proposals.delphi import open_process
from proposals.discussion import add_comment
from proposals.proposing import create_proposal
from proposals.roles import Actor, Role
from proposals.working_groups import add_member, create_working_group
from server.app import create_app
from tests.constants import PASSWORD, SLUG
from tests.programmes.factories import releases

ANYONE, ACCOUNT, STEWARD = "anyone", "account", "steward"
# Members of the programme concerned, with at least this programme role (any other account: 403).
VIEWER, CONTRIBUTOR, ADMIN = "programme viewer", "programme contributor", "programme admin"

ROUTES: dict[tuple[str, str], str] = {
    # the living framework, for everyone
    ("GET", "/"): ANYONE,
    ("GET", "/healthz"): ANYONE,
    ("GET", "/language/{code:str}"): ANYONE,
    ("GET", "/frameworks/{slug:str}"): ANYONE,
    ("GET", "/frameworks/{slug:str}/releases"): ANYONE,
    ("GET", "/frameworks/{slug:str}/releases.atom"): ANYONE,
    ("GET", "/frameworks/{slug:str}/releases/{version:str}"): ANYONE,
    ("GET", "/frameworks/{slug:str}/releases/{version:str}/indicators/{code:str}"): ANYONE,
    ("GET", "/frameworks/{slug:str}/indicators/{code:str}"): ANYONE,
    ("GET", "/frameworks/{slug:str}/compare"): ANYONE,
    ("GET", "/frameworks/{slug:str}/compare/{spec:str}"): ANYONE,
    ("GET", "/api/v1/frameworks"): ANYONE,
    ("GET", "/api/v1/frameworks/{slug:str}/releases"): ANYONE,
    ("GET", "/api/v1/frameworks/{slug:str}/releases/{version:str}"): ANYONE,
    ("GET", "/api/v1/frameworks/{slug:str}/compare/{spec:str}"): ANYONE,
    ("GET", "/api/v1/frameworks/{slug:str}/indicators/{code:str}/revisions"): ANYONE,
    ("GET", "/schema/openapi.json"): ANYONE,
    ("GET", "/schema/release.json"): ANYONE,
    ("GET", "/frameworks/{slug:str}/reviews"): ANYONE,
    ("GET", "/frameworks/{slug:str}/proposals.atom"): ANYONE,
    # Last call: the author or a steward opens it and answers concerns; members raise them.
    ("POST", "/proposals/{proposal_id:int}/last-call"): ACCOUNT,
    ("POST", "/proposals/{proposal_id:int}/concerns"): ACCOUNT,
    ("POST", "/concerns/{concern_id:int}/answer"): ACCOUNT,
    ("POST", "/api/v1/proposals/{proposal_id:int}/last-call"): ACCOUNT,
    ("POST", "/api/v1/proposals/{proposal_id:int}/concerns"): ACCOUNT,
    ("POST", "/api/v1/concerns/{concern_id:int}/answer"): ACCOUNT,
    # Following and notifications: one's own; the unsubscribe link of an e-mail is its own proof.
    ("PUT", "/api/v1/follows"): ACCOUNT,
    ("DELETE", "/api/v1/follows"): ACCOUNT,
    ("GET", "/api/v1/notifications"): ACCOUNT,
    ("POST", "/api/v1/notifications/read"): ACCOUNT,
    ("GET", "/api/v1/accounts/me/notification-settings"): ACCOUNT,
    ("PUT", "/api/v1/accounts/me/notification-settings"): ACCOUNT,
    ("GET", "/notifications"): ACCOUNT,
    ("POST", "/notifications/read"): ACCOUNT,
    ("POST", "/notifications/settings"): ACCOUNT,
    ("POST", "/notifications/follows"): ACCOUNT,
    ("GET", "/notifications/unsubscribe/{token:str}"): ANYONE,
    ("POST", "/notifications/unsubscribe/{token:str}"): ANYONE,
    ("GET", "/api/v1/frameworks/{slug:str}/reviews"): ANYONE,
    # local adaptations, for everyone to read
    ("GET", "/adaptations/{adaptation_id:int}"): ANYONE,
    ("GET", "/frameworks/{slug:str}/adaptations"): ANYONE,
    ("GET", "/api/v1/adaptations/{adaptation_id:int}"): ANYONE,
    ("GET", "/api/v1/frameworks/{slug:str}/adaptations"): ANYONE,
    ("GET", "/api/v1/frameworks/{slug:str}/indicators/{code:str}/adaptations"): ANYONE,
    # accounts
    ("GET", "/register"): ANYONE,
    ("POST", "/register"): ANYONE,
    ("GET", "/sign-in"): ANYONE,
    ("POST", "/sign-in"): ANYONE,
    ("POST", "/sign-out"): ANYONE,
    ("GET", "/account"): ACCOUNT,
    ("POST", "/account/password"): ACCOUNT,
    ("POST", "/api/v1/accounts"): ANYONE,
    ("POST", "/api/v1/tokens"): ANYONE,
    ("GET", "/api/v1/accounts/me"): ACCOUNT,
    ("PATCH", "/api/v1/accounts/{account_id:int}"): STEWARD,
    ("GET", "/api/v1/tokens"): ACCOUNT,
    ("DELETE", "/api/v1/tokens/{token_id:int}"): ACCOUNT,  # the token's owner (checked by the use case)
    ("POST", "/account/tokens/{token_id:int}/revocation"): ACCOUNT,
    # proposals and their debate
    ("GET", "/proposals"): ANYONE,
    ("GET", "/proposals/{proposal_id:int}"): ANYONE,
    ("GET", "/proposals/new"): ACCOUNT,
    ("POST", "/proposals"): ACCOUNT,
    ("POST", "/proposals/preview"): ACCOUNT,
    ("GET", "/proposals/{proposal_id:int}/edit"): ACCOUNT,  # the author (checked by the use case)
    ("POST", "/proposals/{proposal_id:int}/edit"): ACCOUNT,
    ("POST", "/proposals/{proposal_id:int}/withdrawal"): ACCOUNT,
    ("POST", "/proposals/{proposal_id:int}/comments"): ACCOUNT,
    ("POST", "/proposals/{proposal_id:int}/voting"): ACCOUNT,  # steward, or the author after a while
    ("POST", "/proposals/{proposal_id:int}/vote"): ACCOUNT,  # members of the working group
    ("POST", "/proposals/{proposal_id:int}/decision"): STEWARD,
    ("POST", "/comments/{comment_id:int}/hiding"): STEWARD,
    ("GET", "/api/v1/proposals"): ANYONE,
    ("GET", "/api/v1/proposals/{proposal_id:int}"): ANYONE,
    ("GET", "/api/v1/proposals/{proposal_id:int}/comments"): ANYONE,
    ("POST", "/api/v1/frameworks/{slug:str}/proposals"): ACCOUNT,
    ("PATCH", "/api/v1/proposals/{proposal_id:int}"): ACCOUNT,
    ("POST", "/api/v1/proposals/{proposal_id:int}/comments"): ACCOUNT,
    ("POST", "/api/v1/proposals/{proposal_id:int}/voting"): ACCOUNT,
    ("PUT", "/api/v1/proposals/{proposal_id:int}/vote"): ACCOUNT,
    ("POST", "/api/v1/proposals/{proposal_id:int}/decision"): STEWARD,
    ("POST", "/api/v1/proposals/{proposal_id:int}/withdrawal"): ACCOUNT,
    ("POST", "/api/v1/comments/{comment_id:int}/hiding"): STEWARD,
    # stewardship
    ("GET", "/api/v1/frameworks/{slug:str}/decision-rule"): ANYONE,
    ("PUT", "/api/v1/frameworks/{slug:str}/decision-rule"): STEWARD,
    ("POST", "/api/v1/frameworks/{slug:str}/working-groups"): STEWARD,
    ("PUT", "/api/v1/working-groups/{group_id:int}/members/{account_id:int}"): STEWARD,
    ("GET", "/steward"): STEWARD,
    ("GET", "/steward/accounts"): STEWARD,
    ("POST", "/steward/accounts/{account_id:int}/role"): STEWARD,
    ("POST", "/steward/accounts/{account_id:int}/active"): STEWARD,
    ("GET", "/steward/audit"): STEWARD,
    ("GET", "/steward/working-groups"): STEWARD,
    ("POST", "/steward/working-groups"): STEWARD,
    ("POST", "/steward/working-groups/{group_id:int}/members"): STEWARD,
    ("POST", "/steward/working-groups/{group_id:int}/members/{account_id:int}/removal"): STEWARD,
    # territories: reference data, people's territory, local adaptations and their networks
    ("GET", "/api/v1/territories"): ANYONE,
    ("GET", "/api/v1/proposals/{proposal_id:int}/participation"): ANYONE,
    ("GET", "/api/v1/frameworks/{slug:str}/participation"): ANYONE,
    ("GET", "/frameworks/{slug:str}/participation"): ANYONE,
    ("GET", "/proposals/{proposal_id:int}/participation.svg"): ANYONE,
    ("GET", "/frameworks/{slug:str}/participation.svg"): ANYONE,
    ("PATCH", "/api/v1/accounts/me"): ACCOUNT,
    ("POST", "/account/profile"): ACCOUNT,
    ("POST", "/api/v1/frameworks/{slug:str}/adaptations"): STEWARD,
    ("POST", "/api/v1/adaptations/{adaptation_id:int}/proposals"): ACCOUNT,
    ("POST", "/api/v1/adaptations/{adaptation_id:int}/base"): ACCOUNT,  # a steward or a network member
    ("GET", "/adaptations/{adaptation_id:int}/proposals/new"): ACCOUNT,
    ("POST", "/adaptations/{adaptation_id:int}/proposals/preview"): ACCOUNT,
    ("POST", "/adaptations/{adaptation_id:int}/proposals"): ACCOUNT,
    # programmes and their self-assessments
    ("GET", "/programmes"): ACCOUNT,
    ("POST", "/programmes"): ACCOUNT,
    ("GET", "/programmes/{programme_id:int}"): VIEWER,
    ("POST", "/programmes/{programme_id:int}/members"): ADMIN,
    ("POST", "/programmes/{programme_id:int}/members/{account_id:int}/removal"): ADMIN,
    ("POST", "/programmes/{programme_id:int}/assessments"): CONTRIBUTOR,
    ("GET", "/programmes/{programme_id:int}/changes"): VIEWER,
    ("GET", "/assessments/{name:str}"): VIEWER,  # or anyone with a share link of this assessment
    ("GET", "/assessments/{assessment_id:int}/themes/{code:str}"): CONTRIBUTOR,
    ("POST", "/assessments/{assessment_id:int}/themes/{code:str}"): CONTRIBUTOR,
    ("POST", "/assessments/{assessment_id:int}/submission"): ADMIN,
    ("POST", "/assessments/{assessment_id:int}/successor"): CONTRIBUTOR,
    ("POST", "/assessments/{assessment_id:int}/share-links"): ADMIN,
    ("POST", "/share-links/{link_id:int}/revocation"): ADMIN,
    ("POST", "/assessments/{assessment_id:int}/actions"): CONTRIBUTOR,
    ("POST", "/actions/{action_id:int}"): CONTRIBUTOR,
    ("POST", "/api/v1/programmes"): ACCOUNT,
    ("GET", "/api/v1/programmes/{programme_id:int}"): VIEWER,
    ("PUT", "/api/v1/programmes/{programme_id:int}/members/{account_id:int}"): ADMIN,
    ("DELETE", "/api/v1/programmes/{programme_id:int}/members/{account_id:int}"): ADMIN,
    ("POST", "/api/v1/programmes/{programme_id:int}/assessments"): CONTRIBUTOR,
    ("GET", "/api/v1/programmes/{programme_id:int}/changes"): VIEWER,
    ("GET", "/api/v1/assessments/{assessment_id:int}"): VIEWER,  # or a share link's holder
    ("PUT", "/api/v1/assessments/{assessment_id:int}/answers/{code:str}"): CONTRIBUTOR,
    ("POST", "/api/v1/assessments/{assessment_id:int}/submission"): ADMIN,
    ("POST", "/api/v1/assessments/{assessment_id:int}/successor"): CONTRIBUTOR,
    ("POST", "/api/v1/assessments/{assessment_id:int}/share-links"): ADMIN,
    ("DELETE", "/api/v1/share-links/{link_id:int}"): ADMIN,
    ("POST", "/api/v1/assessments/{assessment_id:int}/actions"): CONTRIBUTOR,
    ("PATCH", "/api/v1/actions/{action_id:int}"): CONTRIBUTOR,
    ("GET", "/api/v1/frameworks/{slug:str}/releases/{version:str}/indicators/{code:str}/field"): ANYONE,
    # Delphi rounds: stewards run them; any account reads them (members of the group alone rate, which
    # test_delphi_web.py checks); the report of a process not yet concluded is for accounts only.
    ("POST", "/api/v1/working-groups/{group_id:int}/delphi"): STEWARD,
    ("GET", "/api/v1/delphi/{process_id:int}"): ACCOUNT,
    ("PUT", "/api/v1/delphi/{process_id:int}/ratings/{proposal_id:int}"): ACCOUNT,
    ("GET", "/api/v1/delphi/{process_id:int}/my-ratings"): ACCOUNT,
    ("POST", "/api/v1/delphi/{process_id:int}/close-round"): STEWARD,
    ("POST", "/api/v1/delphi/{process_id:int}/next-round"): STEWARD,
    ("POST", "/api/v1/delphi/{process_id:int}/conclusion"): STEWARD,
    ("GET", "/delphi"): ACCOUNT,
    ("GET", "/working-groups/{group_id:int}/delphi/new"): STEWARD,
    ("POST", "/working-groups/{group_id:int}/delphi"): STEWARD,
    ("GET", "/delphi/{process_id:int}"): ACCOUNT,
    ("POST", "/delphi/{process_id:int}/ratings/{proposal_id:int}"): ACCOUNT,
    ("POST", "/delphi/{process_id:int}/close-round"): STEWARD,
    ("POST", "/delphi/{process_id:int}/next-round"): STEWARD,
    ("POST", "/delphi/{process_id:int}/conclusion"): STEWARD,
    ("GET", "/delphi/{process_id:int}/report"): ACCOUNT,
    ("GET", "/delphi/{process_id:int}/report.csv"): ACCOUNT,
    ("GET", "/delphi/{process_id:int}/report.json"): ACCOUNT,
}

# Valid bodies, so that the answer is about who calls, not about what was sent.
BODIES = {
    "/api/v1/frameworks/{slug:str}/decision-rule": {"quorum": "2/3"},
    "/api/v1/accounts/{account_id:int}": {"role": "steward"},
    "/api/v1/comments/{comment_id:int}/hiding": {"reason": "Hors sujet."},
    "/api/v1/frameworks/{slug:str}/working-groups": {"name": "Autre groupe", "themes": ["SEL"]},
    "/api/v1/frameworks/{slug:str}/adaptations": {
        "name": "Réseau Creuse",
        "department": "23",
        "base_version": "latest",
        "working_group_id": 1,
    },
    "/api/v1/programmes": {"name": "Parrainage Creuse", "department": "23"},
    "/api/v1/programmes/{programme_id:int}/members/{account_id:int}": {"role": "viewer"},
    "/api/v1/programmes/{programme_id:int}/assessments": {"framework": SLUG},
    "/api/v1/assessments/{assessment_id:int}/answers/{code:str}": {"level": "in_place"},
    "/api/v1/assessments/{assessment_id:int}/successor": {"release": "latest"},
    "/api/v1/assessments/{assessment_id:int}/share-links": {"expires_in_days": 7},
    "/api/v1/assessments/{assessment_id:int}/actions": {"indicator": "REC-1", "title": "Former"},
    "/api/v1/actions/{action_id:int}": {"status": "done"},
    "/api/v1/working-groups/{group_id:int}/delphi": {
        "title": "Lot",
        "proposals": [1],
        "closes_at": "2099-01-01T00:00:00Z",
    },
    "/api/v1/delphi/{process_id:int}/ratings/{proposal_id:int}": {"ratings": {"relevance": 5}},
    "/api/v1/proposals/{proposal_id:int}/concerns": {"body": "Une objection."},
    "/api/v1/concerns/{concern_id:int}/answer": {"body": "Une réponse."},
    "/api/v1/follows": {"target": "proposal", "id": 1},
    "/api/v1/notifications/read": {"all": True},
    "/api/v1/accounts/me/notification-settings": {"comment": "daily"},
    # Pages: the form's fields.
    "/programmes": {"name": "Parrainage Creuse", "department": "23"},
    "/programmes/{programme_id:int}/members": {"email": "author@example.org", "role": "viewer"},
    "/programmes/{programme_id:int}/assessments": {"release": "latest"},
    "/assessments/{assessment_id:int}/themes/{code:str}": {"level-REC-1": "in_place", "version-REC-1": "0"},
    "/assessments/{assessment_id:int}/share-links": {"expires_in_days": "7"},
    "/assessments/{assessment_id:int}/actions": {"indicator": "REC-1", "title": "Former"},
    "/actions/{action_id:int}": {"status": "done", "assessment": "1"},
}

NOT_ROUTES_OF_OURS = ("/static/{file_path:path}", "/schema", "/schema/{path:str}")


def app_routes() -> set[tuple[str, str]]:
    return {
        (method, route.path)
        for route in create_app().routes
        for method in getattr(route, "methods", ())
        if method not in ("HEAD", "OPTIONS") and route.path not in NOT_ROUTES_OF_OURS
    }


def test_every_route_is_in_the_table():
    routes = app_routes()
    assert sorted(routes - ROUTES.keys()) == [], "new routes: say who may call them in ROUTES"
    assert sorted(ROUTES.keys() - routes) == [], "routes in the table that the app no longer has"


@pytest.fixture
async def ids(db) -> dict[str, str]:
    steward = (await register_account("steward@example.org", PASSWORD, "S", role=Role.steward)).actor
    author = (await register_account("author@example.org", PASSWORD, "A")).actor
    group = await create_working_group(steward, SLUG, "GT", ["REC"])
    proposal = await create_proposal(
        author, SLUG, "retire", "latest", "Retirer REC-4", "Parce que.", indicator="REC-4"
    )
    comment = await add_comment(author, proposal.id, "Un avis.")
    token = await describe_token(await create_api_token(author.id))
    programme = await create_programme(author, "Parrainage Nord", "59", ["urban"])
    assessment_id = await start_assessment(author, programme.id, SLUG, "latest", releases())
    link = await create_share_link(author, assessment_id, 7)
    action = await add_action(author, assessment_id, "REC-1", "Former les mentors", releases())
    adaptation = await create_adaptation(SLUG, "Réseau Corse", "latest", group.id, region="94")
    for number in range(3):  # a panel for a Delphi process, on a proposal of its own
        member = (await register_account(f"m{number}@example.org", PASSWORD, f"M{number}")).actor
        await add_member(steward, group.id, member.id)
    rated = await create_proposal(
        author, SLUG, "retire", "latest", "Retirer REC-3", "Parce que.", indicator="REC-3"
    )
    process = await open_process(steward, group.id, "Lot", [rated.id], datetime.now(UTC) + timedelta(days=7))
    return {
        "process_id": str(process),
        "concern_id": "1",
        "token": "1.all.not-signed",
        "adaptation_id": str(adaptation.id),
        "programme_id": str(programme.id),
        "assessment_id": str(assessment_id),
        "name": str(assessment_id),
        "link_id": str(link.id),
        "action_id": str(action.id),
        "token_id": str(token.id),
        "slug": SLUG,
        "version": "1.0.0",
        "code": "REC-1",
        "spec": "1.0.0...latest",
        "proposal_id": str(proposal.id),
        "comment_id": str(comment.id),
        "group_id": str(group.id),
        "account_id": str(author.id),
    }


def concrete(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+):\w+\}", lambda m: ids[m.group(1)], path)


def csrf_of(page: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)


async def call(
    client: httpx.AsyncClient, method: str, path: str, ids: dict[str, str], headers: dict | None = None
) -> httpx.Response:
    url = concrete(path, ids)
    if path.startswith("/api/"):
        return await client.request(method, url, headers=headers or {}, json=BODIES.get(path, {}))
    if method == "GET":
        return await client.get(url)
    token = csrf_of((await client.get("/sign-in")).text)
    return await client.request(method, url, data={"_csrf_token": token, **BODIES.get(path, {})})


@pytest.mark.parametrize(("method", "path"), [key for key, who in ROUTES.items() if who != ANYONE])
async def test_signed_out_callers_are_turned_away(client, ids, method: str, path: str):
    response = await call(client, method, path, ids)
    if path.startswith("/api/"):
        assert response.status_code == 401, response.text
    else:
        assert response.status_code == 303
        assert response.headers["location"].startswith("/sign-in")


@pytest.mark.parametrize(("method", "path"), [key for key, who in ROUTES.items() if who == STEWARD])
async def test_practitioners_cannot_do_what_stewards_do(client, ids, method: str, path: str):
    await register_account("p@example.org", PASSWORD, "P")
    if path.startswith("/api/"):
        token = (
            await client.post("/api/v1/tokens", json={"email": "p@example.org", "password": PASSWORD})
        ).json()
        response = await call(client, method, path, ids, {"Authorization": f"Bearer {token['token']}"})
    else:
        token = csrf_of((await client.get("/sign-in")).text)
        await client.post(
            "/sign-in", data={"_csrf_token": token, "email": "p@example.org", "password": PASSWORD}
        )
        response = await call(client, method, path, ids)
    assert response.status_code == 403, response.text


# Posted by mail clients without cookies (RFC 8058): the signed token in the address is the proof.
WITHOUT_CSRF = ("/notifications/unsubscribe/{token:str}",)


@pytest.mark.parametrize(
    "path",
    [
        path
        for (method, path) in ROUTES
        if method == "POST" and not path.startswith("/api/") and path not in WITHOUT_CSRF
    ],
)
async def test_every_form_refuses_a_post_without_its_csrf_token(client, ids, path: str):
    response = await client.post(concrete(path, ids), data={"anything": "x"})
    assert response.status_code == 403


async def as_account(client: httpx.AsyncClient, email: str, path: str) -> tuple[Actor, dict[str, str]]:
    """A new practitioner `email`, signed in on the client (pages) or with a token (the API's headers)."""
    actor = (await register_account(email, PASSWORD, email.split("@")[0])).actor
    if path.startswith("/api/"):
        token = (await client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD})).json()
        return actor, {"Authorization": f"Bearer {token['token']}"}
    form = csrf_of((await client.get("/sign-in")).text)
    await client.post("/sign-in", data={"_csrf_token": form, "email": email, "password": PASSWORD})
    return actor, {}


PROGRAMME_ROLES = (VIEWER, CONTRIBUTOR, ADMIN)


@pytest.mark.parametrize(("method", "path"), [key for key, who in ROUTES.items() if who in PROGRAMME_ROLES])
async def test_the_admin_of_another_programme_is_refused(client, ids, method: str, path: str):
    outsider, headers = await as_account(client, "other@example.org", path)
    await create_programme(outsider, "Autre programme", "2A", ["rural"])
    response = await call(client, method, path, ids, headers)
    assert response.status_code == 403, response.text


@pytest.mark.parametrize(
    ("method", "path"), [key for key, who in ROUTES.items() if who in (CONTRIBUTOR, ADMIN)]
)
async def test_a_lower_programme_role_is_refused(client, ids, method: str, path: str):
    below = "viewer" if ROUTES[(method, path)] == CONTRIBUTOR else "contributor"
    member, headers = await as_account(client, "member@example.org", path)
    admin = (await get_account(int(ids["account_id"]))).actor
    await set_member(admin, int(ids["programme_id"]), member.id, below)
    response = await call(client, method, path, ids, headers)
    assert response.status_code == 403, response.text
