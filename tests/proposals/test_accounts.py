"""Accounts through the pages (forms with CSRF) and the API (bearer tokens)."""

from __future__ import annotations

import re

import httpx
import pytest

from proposals.accounts import register_account
from proposals.roles import Role
from tests.constants import PASSWORD

pytestmark = pytest.mark.usefixtures("db")


def csrf_of(page: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)


async def register_in_browser(
    client: httpx.AsyncClient, email: str = "ana@example.org", **extra
) -> httpx.Response:
    form = (await client.get("/register")).text
    data = {
        "_csrf_token": csrf_of(form),
        "email": email,
        "password": PASSWORD,
        "display_name": "Ana",
        **extra,
    }
    return await client.post("/register", data=data)


async def test_register_then_sign_in_shows_the_account(client):
    response = await register_in_browser(client, organisation="Asso Mentorat", territory="Bretagne")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?registered=1&email=ana%40example.org&next=%2Faccount"
    assert "rv_session" not in response.headers.get("set-cookie", "")  # as for an address already taken
    form = await client.get(response.headers["location"])
    assert "yours is ready" in form.text.replace("\n", " ") or "est prêt" in form.text
    assert 'value="ana@example.org"' in form.text
    signed_in = await client.post(
        "/sign-in",
        data={
            "_csrf_token": csrf_of(form.text),
            "email": "ana@example.org",
            "password": PASSWORD,
            "next": "/account",
        },
    )
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/account"
    cookie = signed_in.headers["set-cookie"]
    assert (
        "rv_session=" in cookie and "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
    )
    page = (await client.get("/account")).text
    assert "ana@example.org" in page and "Asso Mentorat" in page and "Bretagne" in page


async def test_registering_a_taken_address_answers_as_for_a_new_one(client):
    """Nobody learns who is registered: same status, address, cookies and body for a new address and
    a taken one, on the pages and in the API."""
    await register_account("pris@example.org", PASSWORD, "Déjà là")
    new, taken = (
        await register_in_browser(client, "neuf@example.org"),
        await register_in_browser(client, "pris@example.org"),
    )
    assert new.status_code == taken.status_code == 303
    assert new.headers["location"].replace("neuf", "X") == taken.headers["location"].replace("pris", "X")
    assert "rv_session" not in new.headers.get("set-cookie", "") + taken.headers.get("set-cookie", "")
    body = {"password": PASSWORD, "display_name": "Quelqu'un"}
    api_new = await client.post("/api/v1/accounts", json={"email": "autre@example.org", **body})
    api_taken = await client.post("/api/v1/accounts", json={"email": "PRIS@example.org", **body})
    assert api_new.status_code == api_taken.status_code == 201
    assert api_new.json().keys() == api_taken.json().keys()
    assert {**api_new.json(), "email": "X"} == {**api_taken.json(), "email": "X"}
    assert api_taken.json()["display_name"] == "Quelqu'un"  # what was sent, not the owner's name


async def test_forms_refuse_a_post_without_csrf_token(client):
    response = await client.post(
        "/register", data={"email": "a@example.org", "password": PASSWORD, "display_name": "A"}
    )
    assert response.status_code == 403
    assert (
        await client.post("/sign-in", data={"email": "a@example.org", "password": PASSWORD})
    ).status_code == 403


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-email"}, "pas une adresse e-mail"),
        ({"password": "short"}, "au moins 8 caractères"),
        ({"password": "motdepasse123"}, "des plus courants"),
        ({"password": "x" * 1025}, "au plus 1\u202f024 caractères"),
        ({"display_name": "   "}, "Le nom affiché est obligatoire"),
    ],
)
async def test_registration_errors_are_shown_beside_their_field(client, fields: dict, message: str):
    form = (await client.get("/register")).text
    data = {"_csrf_token": csrf_of(form), "email": "b@example.org", "password": PASSWORD, "display_name": "B"}
    response = await client.post("/register", data={**data, **fields})
    assert response.status_code == 400
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert "rv_session" not in response.headers.get("set-cookie", "")


async def test_passwords_are_checked_exactly_as_typed(client):
    await register_account("c@example.org", "  spaces count  ", "C")
    ok = await client.post("/api/v1/tokens", json={"email": "c@example.org", "password": "  spaces count  "})
    assert ok.status_code == 201
    trimmed = await client.post("/api/v1/tokens", json={"email": "c@example.org", "password": "spaces count"})
    assert trimmed.status_code == 401


async def test_sign_in_gives_a_fresh_session_and_sign_out_ends_it(client):
    await register_account("d@example.org", PASSWORD, "D")
    client.cookies.set("rv_session", "chosen-by-an-attacker", domain="testserver")
    assert (await client.get("/account")).status_code == 303  # a chosen id is not a session
    form = (await client.get("/sign-in?next=/frameworks/qualite-mentorat/releases")).text
    response = await client.post(
        "/sign-in",
        data={
            "_csrf_token": csrf_of(form),
            "email": "D@example.org",
            "password": PASSWORD,
            "next": "/frameworks/qualite-mentorat/releases",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/frameworks/qualite-mentorat/releases"
    session = re.search(r"rv_session=([^;]+)", response.headers["set-cookie"]).group(1)
    assert session != "chosen-by-an-attacker"
    client.cookies.clear()
    client.cookies.set("rv_session", session)
    account = await client.get("/account")
    assert account.status_code == 200
    await client.post("/sign-out", data={"_csrf_token": csrf_of(account.text)})
    client.cookies.clear()
    client.cookies.set("rv_session", session)  # replaying the old cookie does not work
    assert (await client.get("/account")).status_code == 303


async def test_redirects_after_sign_in_stay_on_this_site(client):
    await register_account("e@example.org", PASSWORD, "E")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        form = (await client.get("/sign-in")).text
        data = {"_csrf_token": csrf_of(form), "email": "e@example.org", "password": PASSWORD, "next": target}
        response = await client.post("/sign-in", data=data)
        assert response.headers["location"] == "/"


async def test_wrong_password_is_a_plain_message(client):
    await register_account("f@example.org", PASSWORD, "F")
    form = (await client.get("/sign-in")).text
    data = {"_csrf_token": csrf_of(form), "email": "f@example.org", "password": "wrong password!"}
    response = await client.post("/sign-in", data=data)
    assert response.status_code == 400
    assert "Adresse e-mail ou mot de passe incorrect." in response.text
    english = await client.post("/sign-in", data=data, headers={"Accept-Language": "en"})
    assert english.status_code == 400
    assert "Wrong email address or password." in english.text


async def test_sign_in_is_rate_limited_per_account(client):
    await register_account("g@example.org", PASSWORD, "G")
    statuses = []
    for _ in range(12):
        response = await client.post(
            "/api/v1/tokens", json={"email": "g@example.org", "password": "nope nope"}
        )
        statuses.append(response.status_code)
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    assert int(response.headers["retry-after"]) > 0
    # Even the right password waits: the limit comes before any hashing.
    right = await client.post("/api/v1/tokens", json={"email": "g@example.org", "password": PASSWORD})
    assert right.status_code == 429


async def test_api_registration_tokens_and_me(client):
    created = await client.post(
        "/api/v1/accounts", json={"email": "h@example.org", "password": PASSWORD, "display_name": "H"}
    )
    assert created.status_code == 201
    assert created.json()["role"] == "practitioner"
    again = await client.post(
        "/api/v1/accounts", json={"email": "H@example.org", "password": PASSWORD, "display_name": "H"}
    )
    assert again.status_code == 201  # the same answer as for a new address: nobody learns who is registered
    assert "id" not in created.json()
    token = (
        await client.post("/api/v1/tokens", json={"email": "h@example.org", "password": PASSWORD})
    ).json()
    me = await client.get("/api/v1/accounts/me", headers={"Authorization": f"Bearer {token['token']}"})
    assert me.json()["id"] == token["account_id"]
    assert me.json()["display_name"] == "H"
    assert (await client.get("/api/v1/accounts/me")).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"email": "i@example.org", "password": PASSWORD},
        {"email": "i@example.org", "password": PASSWORD, "display_name": "I", "role": "steward"},
        {"email": 3, "password": PASSWORD, "display_name": "I"},
    ],
)
async def test_api_registration_refuses_bad_bodies(client, body: dict):
    response = await client.post("/api/v1/accounts", json=body)
    assert response.status_code == 400
    assert response.json()["detail"]


async def test_only_stewards_grant_roles(client):
    steward = await register_account("s@example.org", PASSWORD, "S", role=Role.steward)
    other = await register_account("p@example.org", PASSWORD, "P")
    tokens = {}
    for email in ("s@example.org", "p@example.org"):
        tokens[email] = (
            await client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD})
        ).json()["token"]
    denied = await client.patch(
        f"/api/v1/accounts/{steward.id}",
        json={"role": "practitioner"},
        headers={"Authorization": f"Bearer {tokens['p@example.org']}"},
    )
    assert denied.status_code == 403
    granted = await client.patch(
        f"/api/v1/accounts/{other.id}",
        json={"role": "member"},
        headers={"Authorization": f"Bearer {tokens['s@example.org']}"},
    )
    assert granted.status_code == 200 and granted.json()["role"] == "member"
    unknown = await client.patch(
        f"/api/v1/accounts/{other.id}",
        json={"role": "king"},
        headers={"Authorization": f"Bearer {tokens['s@example.org']}"},
    )
    assert unknown.status_code == 400 and "Unknown role" in unknown.json()["detail"]


async def test_a_password_change_ends_every_other_session_and_token(client):
    await register_account("j@example.org", PASSWORD, "J")
    token = (
        await client.post("/api/v1/tokens", json={"email": "j@example.org", "password": PASSWORD})
    ).json()
    other_browser = httpx.AsyncClient(transport=client._transport, base_url="https://testserver")
    form = (await other_browser.get("/sign-in")).text
    await other_browser.post(
        "/sign-in", data={"_csrf_token": csrf_of(form), "email": "j@example.org", "password": PASSWORD}
    )
    assert (await other_browser.get("/account")).status_code == 200
    form = (await client.get("/sign-in")).text
    await client.post(
        "/sign-in", data={"_csrf_token": csrf_of(form), "email": "j@example.org", "password": PASSWORD}
    )
    account = await client.get("/account")
    wrong = await client.post(
        "/account/password",
        data={
            "_csrf_token": csrf_of(account.text),
            "current_password": "nope nope",
            "password": "nouveau secret",
        },
    )
    assert wrong.status_code == 400 and "Le mot de passe actuel n&#39;est pas le bon." in wrong.text
    changed = await client.post(
        "/account/password",
        data={
            "_csrf_token": csrf_of(account.text),
            "current_password": PASSWORD,
            "password": "nouveau secret",
        },
    )
    assert changed.status_code == 303
    assert (await client.get("/account")).status_code == 200  # this browser stays signed in
    assert (await other_browser.get("/account")).status_code == 303  # the other one is out
    me = await client.get("/api/v1/accounts/me", headers={"Authorization": f"Bearer {token['token']}"})
    assert me.status_code == 401
    await other_browser.aclose()


async def test_a_deactivated_account_is_signed_out_everywhere(client):
    await register_account("k@example.org", PASSWORD, "K", role=Role.steward)
    user = await register_account("l@example.org", PASSWORD, "L")
    steward = (
        await client.post("/api/v1/tokens", json={"email": "k@example.org", "password": PASSWORD})
    ).json()
    victim = (
        await client.post("/api/v1/tokens", json={"email": "l@example.org", "password": PASSWORD})
    ).json()
    off = await client.patch(
        f"/api/v1/accounts/{user.id}",
        json={"is_active": False},
        headers={"Authorization": f"Bearer {steward['token']}"},
    )
    assert off.status_code == 200
    me = await client.get("/api/v1/accounts/me", headers={"Authorization": f"Bearer {victim['token']}"})
    assert me.status_code == 401
    again = await client.post("/api/v1/tokens", json={"email": "l@example.org", "password": PASSWORD})
    assert again.status_code == 401
