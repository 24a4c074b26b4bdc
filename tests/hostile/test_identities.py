"""Identities that cannot be confused: look-alike email addresses are one address, hidden and
direction characters are refused (the message names them), people's text is isolated in pages."""

from __future__ import annotations

import httpx
import pytest

from proposals.accounts import register_account
from proposals.identities import normalise_email
from proposals.proposing import create_proposal
from proposals.tables import Account
from tests.constants import PASSWORD, SLUG
from web.failures import InvalidInput

pytestmark = pytest.mark.usefixtures("db")


@pytest.mark.parametrize(
    "written",
    [
        "Élise@Exemple.org",  # composed é
        "E\u0301lise@exemple.org",  # e + combining acute accent
        "ＥＬＩＳＥ@exemple.org".replace(
            "ＥＬＩＳＥ", "\uff25\u0301\uff4c\uff49\uff53\uff45"
        ),  # full-width letters
        "élise@EXEMPLE.ORG",
        "élise@ＥＸＥＭＰＬＥ.org",  # a full-width domain
    ],
)
def test_look_alike_addresses_have_one_normal_form(written: str):
    assert normalise_email(written) == "élise@exemple.org"


def test_international_domains_compare_through_idna():
    assert (
        normalise_email("ana@exämple.org") == normalise_email("ana@xn--exmple-cua.org") == "ana@exämple.org"
    )


@pytest.mark.parametrize(
    ("written", "named"),
    [
        ("ana\u200b@example.org", "U+200B (ZERO WIDTH SPACE)"),
        ("ana@exa\u200dmple.org", "U+200D (ZERO WIDTH JOINER)"),
        ("\u202eana@example.org", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("ana\x00@example.org", "U+0000 (NUL)"),
        ("ana\x1b@example.org", "U+001B (ESCAPE)"),
        ("\ufeffana@example.org", "U+FEFF (ZERO WIDTH NO-BREAK SPACE)"),
    ],
)
def test_hidden_characters_in_an_address_are_refused_by_name(written: str, named: str):
    with pytest.raises(InvalidInput) as refused:
        normalise_email(written)
    assert named in str(refused.value)


async def test_a_look_alike_registration_makes_no_second_account(client: httpx.AsyncClient):
    await register_account("élise@exemple.org", PASSWORD, "Élise")
    for look_alike in ("E\u0301LISE@exemple.org", "\uff45\u0301lise@EXEMPLE.org"):
        body = {"email": look_alike, "password": "un autre mot de passe", "display_name": "Usurpatrice"}
        assert (await client.post("/api/v1/accounts", json=body)).status_code == 201
    assert await Account.count() == 1
    signed = await client.post(
        "/api/v1/tokens", json={"email": "E\u0301lise@Exemple.org", "password": PASSWORD}
    )
    assert signed.status_code == 201  # the owner, however the address is written


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("display_name", "Ana\u202e gnp.exe", "U+202E"),
        ("display_name", "\u2067Ana", "U+2067"),
        ("display_name", "\u200b\u200b", "U+200B"),
        ("display_name", "Ana\nBob", "U+000A"),
        ("organisation", "Asso\u202d", "U+202D"),
        ("organisation", "Asso\x07", "U+0007"),
        ("territory", "Bretagne\u2069", "U+2069"),
    ],
)
async def test_names_refuse_direction_control_and_invisible_characters(
    client: httpx.AsyncClient, field: str, value: str, named: str
):
    body = {"email": "ana@example.org", "password": PASSWORD, "display_name": "Ana", field: value}
    refused = await client.post("/api/v1/accounts", json=body)
    assert refused.status_code == 400 and named in refused.json()["detail"], refused.text
    assert await Account.count() == 0


@pytest.mark.parametrize("value", ["\u00ad", "\u3000", " \u2060 ", "\u0301"])
async def test_a_name_must_show_something(client: httpx.AsyncClient, value: str):
    body = {"email": "ana@example.org", "password": PASSWORD, "display_name": value}
    refused = await client.post("/api/v1/accounts", json=body)
    assert refused.status_code == 400, refused.text


@pytest.mark.parametrize("title", ["Retirer\u202e REC-4", "Retirer\x1bREC-4", "\u200b"])
async def test_titles_refuse_them_too(title: str):
    author = (await register_account("ana@example.org", PASSWORD, "Ana")).actor
    with pytest.raises(InvalidInput):
        await create_proposal(author, SLUG, "retire", "latest", title, "R.", indicator="REC-4")


async def test_peoples_text_is_isolated_where_it_sits_inside_other_text(client: httpx.AsyncClient):
    """A right-to-left name shown in a sentence cannot reorder the rest of the line."""
    author = (await register_account("noor@example.org", PASSWORD, "نور", "جمعية")).actor
    proposal = await create_proposal(author, SLUG, "retire", "latest", "سحب REC-4", "R.", indicator="REC-4")
    page = (await client.get(f"/proposals/{proposal.id}")).text
    assert "<bdi>نور</bdi>" in page and "<bdi>جمعية</bdi>" in page and "<bdi>سحب REC-4</bdi>" in page
    listing = (await client.get("/proposals")).text
    assert "<bdi>سحب REC-4</bdi>" in listing and "<bdi>نور</bdi>" in listing
