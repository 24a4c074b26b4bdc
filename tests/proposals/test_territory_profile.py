"""Territories: the reference geography in the API, and the department and kinds of territory an
account says, at registration and on its profile (pages and API)."""

from __future__ import annotations

import httpx
import pytest

from places.france import department
from proposals.accounts import get_account, list_accounts, register_account, update_profile
from proposals.audit import audit_lines
from tests.api_client import Api
from tests.constants import PASSWORD
from tests.proposals.browsing import amendment, check_structure, csrf_of, sign_in
from tests.proposals.factories import make_account
from web.failures import InvalidInput

pytestmark = pytest.mark.usefixtures("db")

HOW_TO_FIND_CODES = "GET /api/v1/territories lists them"
KINDS = ["rural", "qpv", "overseas", "urban"]


# --- the reference geography ---------------------------------------------------------------------


async def test_the_territories_api_lists_regions_with_their_departments_and_the_kinds(client):
    response = await client.get("/api/v1/territories")
    assert response.status_code == 200
    body = response.json()
    assert "INSEE" in body["source"] and body["vintage"] == 2024 and body["url"].startswith("https://")
    assert body["kinds"] == KINDS
    assert len(body["regions"]) == 18
    pairs = [(region["code"], each["code"]) for region in body["regions"] for each in region["departments"]]
    assert len(pairs) == len({code for _region, code in pairs}) == 101
    for region_code, code in pairs:
        assert department(code).region.code == region_code  # each department under its own region
    paris = next(region for region in body["regions"] if region["code"] == "11")
    assert paris["name"] == "Île-de-France"
    assert {"code": "75", "name": "Paris"} in paris["departments"]


async def test_the_territories_api_may_be_kept_by_anyone_and_revalidated(client):
    first = await client.get("/api/v1/territories")
    assert first.headers["cache-control"].startswith("public, max-age=")
    etag = first.headers["etag"]
    again = await client.get("/api/v1/territories", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag


# --- registration --------------------------------------------------------------------------------


async def test_registration_through_the_api_with_and_without_a_territory(client):
    api = Api(client)
    with_place = await client.post(
        "/api/v1/accounts",
        json={
            "email": "ana@example.org",
            "password": PASSWORD,
            "display_name": "Ana",
            "department": "2a",
            "territory_kinds": ["urban", "rural"],
        },
    )
    assert with_place.status_code == 201
    assert with_place.json()["department"] == "2A"  # as INSEE writes it
    assert with_place.json()["territory_kinds"] == ["rural", "urban"]  # in their order
    plain = await client.post(
        "/api/v1/accounts", json={"email": "bo@example.org", "password": PASSWORD, "display_name": "Bo"}
    )
    assert plain.status_code == 201
    assert plain.json()["department"] is None and plain.json()["territory_kinds"] == []
    for email, expected in (("ana@example.org", ("2A", "94", ["rural", "urban"])), ("bo@example.org", None)):
        token = (await client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD})).json()
        me = (await api.call("GET", "/accounts/me", {"Authorization": f"Bearer {token['token']}"})).json()
        found = (me["department"], me["region"], me["territory_kinds"])
        assert found == (expected or (None, None, []))


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"department": "20"}, "department", ["is not a French department", HOW_TO_FIND_CODES]),
        ({"department": "Paris"}, "department", ["such as 75 or 2A"]),
        ({"territory_kinds": ["forest"]}, "territory_kinds", ["rural, qpv, overseas, urban"]),
    ],
)
async def test_registration_refuses_unknown_codes_saying_which_exist(client, fields, field, words):
    body = {"email": "cy@example.org", "password": PASSWORD, "display_name": "Cy", **fields}
    response = await client.post("/api/v1/accounts", json=body)
    assert response.status_code == 400
    assert all(word in response.json()["detail"] for word in words), response.json()
    with pytest.raises(InvalidInput) as refused:
        await register_account("cy@example.org", PASSWORD, "Cy", **fields)
    assert refused.value.field == field


async def test_registration_api_refuses_wrong_types(client):
    base = {"email": "di@example.org", "password": PASSWORD, "display_name": "Di"}
    for extra in ({"department": 75}, {"territory_kinds": "rural"}, {"territory_kinds": [1]}):
        assert (await client.post("/api/v1/accounts", json={**base, **extra})).status_code == 400


async def register_in_browser(client: httpx.AsyncClient, **extra) -> httpx.Response:
    form = await client.get("/register")
    data = {"_csrf_token": csrf_of(form.text), "email": "eva@example.org", "password": PASSWORD}
    return await client.post("/register", data={**data, "display_name": "Eva", **extra})


async def test_the_registration_page_offers_departments_and_kinds(client):
    form = (await client.get("/register", headers={"Accept-Language": "en"})).text
    check_structure(form)
    assert '<option value="">— not said —</option>' in form
    assert '<option value="75">75 — Paris</option>' in form
    assert "<legend>" in form and 'type="checkbox"' in form and "priority neighbourhood (QPV)" in form
    assert "only aggregates of at least 5 people are ever shown" in form
    assert (
        "quartier prioritaire de la politique de la ville (QPV)" in (await client.get("/register")).text
    )  # in French by default


async def test_registration_page_with_and_without_a_territory(client):
    with_place = await register_in_browser(client, department="973", territory_kinds=["overseas", "rural"])
    assert with_place.status_code == 303
    plain = await register_in_browser(client, email="fa@example.org")
    assert plain.status_code == 303
    accounts = {account.email: account for account in await list_accounts()}
    assert accounts["eva@example.org"].department == "973"
    assert accounts["eva@example.org"].territory_kinds == ("rural", "overseas")
    assert accounts["fa@example.org"].department == "" and accounts["fa@example.org"].territory_kinds == ()


async def test_registration_page_refuses_an_unknown_code_beside_its_field_keeping_the_rest(client):
    response = await register_in_browser(client, department="999", territory_kinds=["qpv"])
    assert response.status_code == 400
    assert 'id="error-department"' in response.text
    assert "n&#39;est pas un département français" in response.text  # in the page's language
    assert "GET /api/v1/territories les liste" in response.text
    assert 'value="eva@example.org"' in response.text
    assert 'value="qpv" checked' in response.text
    unknown_kind = await register_in_browser(client, department="75", territory_kinds=["forest"])
    assert unknown_kind.status_code == 400 and 'id="error-territory_kinds"' in unknown_kind.text
    assert '<option value="75" selected>' in unknown_kind.text


# --- the profile, through the API -----------------------------------------------------------------


async def test_patch_me_changes_only_the_fields_given(client):
    api = Api(client)
    me = await api.token("gil@example.org", name="Gil")
    changed = await api.call("PATCH", "/accounts/me", me, json={"department": "69"})
    assert changed.status_code == 200
    assert changed.json() == (await api.call("GET", "/accounts/me", me)).json()  # the same shape as GET
    assert (changed.json()["department"], changed.json()["region"]) == ("69", "84")
    kinds = await api.call("PATCH", "/accounts/me", me, json={"territory_kinds": ["qpv", "urban"]})
    assert kinds.json()["territory_kinds"] == ["qpv", "urban"] and kinds.json()["department"] == "69"
    named = await api.call(
        "PATCH", "/accounts/me", me, json={"display_name": " Gilberte ", "organisation": "Réseau"}
    )
    body = named.json()
    assert (body["display_name"], body["organisation"], body["department"]) == ("Gilberte", "Réseau", "69")
    assert body["territory_kinds"] == ["qpv", "urban"]
    cleared = await api.call("PATCH", "/accounts/me", me, json={"department": "", "territory_kinds": []})
    assert cleared.json()["department"] is None and cleared.json()["region"] is None
    assert cleared.json()["territory_kinds"] == [] and cleared.json()["display_name"] == "Gilberte"


@pytest.mark.parametrize(
    "body",
    [
        {"role": "steward"},  # not a field of the profile
        {"email": "other@example.org"},
        {"department": 75},
        {"territory_kinds": "rural"},
        {"territory_kinds": [1]},
        {"display_name": 3},
        {"department": "977"},
        {"territory_kinds": ["forest"]},
        {"display_name": "   "},
        {"organisation": "x" * 201},
    ],
)
async def test_patch_me_refuses_bad_bodies(client, body):
    api = Api(client)
    me = await api.token("hal@example.org", name="Hal")
    response = await api.call("PATCH", "/accounts/me", me, json=body)
    assert response.status_code == 400 and response.json()["detail"]
    after = (await api.call("GET", "/accounts/me", me)).json()
    assert (after["display_name"], after["role"], after["department"]) == ("Hal", "practitioner", None)


async def test_patch_me_needs_an_account(client):
    response = await client.patch("/api/v1/accounts/me", json={"department": "75"})
    assert response.status_code == 401


async def test_a_profile_change_is_audited_by_field_name_only():
    actor = await make_account("Ivo")
    await update_profile(actor, department="35", territory_kinds=["rural"])
    await update_profile(actor, department="35")  # no change: no entry
    lines, _total = await audit_lines(1, 10)
    changes = [line for line in lines if line.action == "account.profile_changed"]
    assert len(changes) == 1
    assert changes[0].detail == {"fields": ["department", "territory_kinds"]}  # never the territory itself
    account = await get_account(actor.id)
    assert (account.department, account.territory_kinds, account.place.region.name) == (
        "35",
        ("rural",),
        "Bretagne",
    )


async def test_a_new_name_shows_at_once_on_the_debates_that_showed_the_old_one(client):
    actor = await make_account("Jo Ancien")
    proposal_id = await amendment(actor, "Le binôme parle de la fin de la relation.")
    assert "Jo Ancien" in (await client.get(f"/proposals/{proposal_id}")).text  # now kept in the cache
    await update_profile(actor, display_name="Jo Nouveau")
    page = (await client.get(f"/proposals/{proposal_id}")).text
    assert "Jo Nouveau" in page and "Jo Ancien" not in page
    assert "Jo Nouveau" in (await client.get("/proposals")).text


# --- the profile form ---------------------------------------------------------------------------------


async def signed_in_person(client: httpx.AsyncClient) -> int:
    account = await register_account("kim@example.org", PASSWORD, "Kim", "Asso", department="13")
    await sign_in(client, "kim@example.org")
    return account.id


async def test_the_account_page_shows_the_profile_form_with_what_was_said(client):
    await signed_in_person(client)
    page = (await client.get("/account", headers={"Accept-Language": "en"})).text
    check_structure(page)
    assert 'action="/account/profile"' in page
    assert '<option value="13" selected>13 — Bouches-du-Rhône</option>' in page
    assert 'value="Asso"' in page and "only aggregates of at least 5 people are ever shown" in page


async def test_the_profile_form_needs_its_csrf_token(client):
    account_id = await signed_in_person(client)
    response = await client.post("/account/profile", data={"display_name": "Kim", "department": "75"})
    assert response.status_code == 403
    assert (await get_account(account_id)).department == "13"


async def test_the_profile_form_saves_and_goes_back_to_the_account_page(client):
    account_id = await signed_in_person(client)
    csrf = csrf_of((await client.get("/account")).text)
    data = {"_csrf_token": csrf, "display_name": "Kim L.", "organisation": "", "department": "974"}
    response = await client.post("/account/profile", data={**data, "territory_kinds": ["overseas", "qpv"]})
    assert response.status_code == 303 and response.headers["location"] == "/account"
    account = await get_account(account_id)
    assert (account.display_name, account.organisation, account.department) == ("Kim L.", "", "974")
    assert account.territory_kinds == ("qpv", "overseas")
    # No department chosen and no box ticked: the person says none any more.
    await client.post(
        "/account/profile", data={"_csrf_token": csrf, "display_name": "Kim L.", "department": ""}
    )
    account = await get_account(account_id)
    assert (account.department, account.territory_kinds) == ("", ())


@pytest.mark.parametrize(
    ("fields", "error_id"),
    [
        ({"department": "00"}, "error-department"),
        ({"territory_kinds": ["forest"]}, "error-territory_kinds"),
        ({"display_name": "  "}, "error-display_name"),
    ],
)
async def test_the_profile_form_refuses_bad_input_beside_its_field_keeping_the_values(
    client, fields, error_id
):
    account_id = await signed_in_person(client)
    csrf = csrf_of((await client.get("/account")).text)
    data = {"_csrf_token": csrf, "display_name": "Kim", "organisation": "Nouvelle asso", "department": "13"}
    response = await client.post("/account/profile", data={**data, **fields})
    assert response.status_code == 400
    assert f'id="{error_id}"' in response.text and f'aria-describedby="{error_id}' in response.text
    assert 'value="Nouvelle asso"' in response.text  # what was typed, not what is stored
    check_structure(response.text)
    assert (await get_account(account_id)).organisation == "Asso"


async def test_the_profile_form_needs_an_account(client):
    csrf = csrf_of((await client.get("/sign-in")).text)
    response = await client.post("/account/profile", data={"_csrf_token": csrf, "department": "75"})
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")
