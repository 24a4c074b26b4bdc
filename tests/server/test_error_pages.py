"""Error pages (404, 403, 500) in both languages: a title, what went wrong in the visitor's own
language, a way back; the API keeps saying it in English, as JSON."""

from __future__ import annotations

import re
from html import unescape

import pytest

from proposals.roles import Role
from tests.proposals.browsing import person, sign_in

pytestmark = pytest.mark.usefixtures("db")

ENGLISH = {"Accept-Language": "en-GB,en;q=0.8"}


def assert_error_page(response, status: int, language: str, *texts: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    page = unescape(response.text)
    assert f'<html lang="{language}">' in page
    assert page.count("<h1") == 1
    assert 'class="skip-link"' in page and '<main id="content"' in page
    for text in texts:
        assert text in page, text


def detail_of(response) -> str:
    return unescape(re.search(r'<p class="detail">(.+?)</p>', response.text).group(1))


async def test_an_unknown_address(client):
    french = await client.get("/nowhere")
    assert_error_page(french, 404, "fr", "Page introuvable", "Il n'y a pas de page à cette adresse.")
    english = await client.get("/nowhere", headers=ENGLISH)
    assert_error_page(english, 404, "en", "Page not found", "There is no page at this address.")


async def test_a_missing_proposal_is_said_in_the_visitors_language(client):
    french = await client.get("/proposals/1234")
    assert_error_page(french, 404, "fr", "Page introuvable", "Il n'y a pas de proposition numéro 1234.")
    english = await client.get("/proposals/1234", headers=ENGLISH)
    assert_error_page(english, 404, "en", "Page not found", "There is no proposal number 1234.")
    api = await client.get("/api/v1/proposals/1234")  # French by default on pages, not in the API
    assert api.status_code == 404
    assert api.json() == {"status_code": 404, "detail": "There is no proposal number 1234."}


async def test_a_refused_page(client):
    await person("someone@example.org", "Quelqu'un", Role.practitioner)
    await sign_in(client, "someone@example.org")
    french = await client.get("/steward/accounts")
    assert_error_page(french, 403, "fr", "Vous n'avez pas l'autorisation de faire cela")
    assert detail_of(french).startswith("Seul un compte animateur·rice")
    english = await client.get("/steward/accounts", headers=ENGLISH)
    assert_error_page(english, 403, "en", "You are not allowed to do this")
    assert detail_of(english).startswith("Only a steward or above may")


async def test_a_malformed_address_says_what_is_wrong_in_french(client):
    response = await client.get("/frameworks/qualite-mentorat/releases/1.x")
    assert_error_page(response, 404, "fr", "n'est pas un numéro de version")


async def test_a_crash_shows_an_apology_and_no_internals(client, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("indicators.routes.pages.list_releases", broken)
    french = await client.get("/frameworks/qualite-mentorat/releases")
    assert_error_page(
        french,
        500,
        "fr",
        "Un problème est survenu",
        "L'erreur a été enregistrée. Merci de réessayer dans un instant.",
    )
    english = await client.get("/frameworks/qualite-mentorat/releases", headers=ENGLISH)
    assert_error_page(
        english, 500, "en", "Something went wrong", "The error has been logged. Please try again in a moment."
    )
    assert "secret internals" not in french.text + english.text


async def test_a_bad_value_in_an_address_names_it_without_the_frameworks_english(client):
    french = await client.get("/proposals?page=0")
    assert_error_page(french, 400, "fr", "Une valeur de l'adresse ou du formulaire n'est pas valide : page.")
    english = await client.get("/proposals?page=0", headers=ENGLISH)
    assert_error_page(english, 400, "en", "A value in the address or the form is not valid: page.")
    assert "Expected" not in french.text + english.text and "Validation failed" not in french.text
    api = await client.get("/api/v1/proposals?page=0")
    assert api.status_code == 400 and api.json()["detail"].startswith("Validation failed")


async def test_a_form_without_its_token_says_to_reload(client):
    french = await client.post("/sign-in", data={"email": "a@example.org", "password": "x"})
    assert_error_page(french, 403, "fr", "Ce formulaire a expiré ou ne vient pas de ce site")
    english = await client.post("/sign-in", data={"email": "a@example.org"}, headers=ENGLISH)
    assert_error_page(english, 403, "en", "This form has expired or did not come from this site")
    assert "CSRF" not in french.text + english.text


async def test_a_request_of_the_wrong_kind(client):
    french = await client.get("/sign-out")
    assert_error_page(french, 405, "fr", "Cette adresse ne répond pas à ce type de requête.")
    english = await client.get("/sign-out", headers=ENGLISH)
    assert_error_page(english, 405, "en", "This address does not answer this kind of request.")
