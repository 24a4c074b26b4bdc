"""Numbers read from text are plain ASCII digits of a bounded length, wherever they are read: never a
hang ("1e999999999"), never a 500, never another digit system read as a number."""

from __future__ import annotations

from fractions import Fraction
from urllib.parse import quote

import httpx
import pytest

from proposals.access import create_api_token
from proposals.accounts import register_account
from proposals.roles import Role
from tests.constants import PASSWORD, SLUG
from web.failures import InvalidInput
from web.messages import Term
from web.numbers import parse_share, whole_number

NOT_NUMBERS = [
    "1e3",
    "1e999999999",
    "١٢",
    "１２",
    "1_2",
    "+1",
    "0x1",
    "1.0",
    "-1",
    "½",
    "²",
    "",
    "9" * 40,
]


@pytest.mark.parametrize(
    ("text", "share"),
    [
        ("1/2", Fraction(1, 2)),
        (" 2/3 ", Fraction(2, 3)),
        ("0.5", Fraction(1, 2)),
        (".25", Fraction(1, 4)),
        ("1", Fraction(1)),
        ("0", Fraction(0)),
    ],
)
def test_shares_in_short_forms(text: str, share: Fraction):
    assert parse_share(text) == share


@pytest.mark.parametrize(
    "text",
    [
        "1e999999999",
        "1e3",
        "1E-9999999",
        "١/٢",
        "½",
        "1_0/20",
        "0x1",
        "12345/1",
        "1/2/3",
        ".",
        "",
        "nan",
        "inf",
        "1" * 10_000,
    ],
)
def test_anything_else_is_not_a_share(text: str):
    with pytest.raises(ValueError):
        parse_share(text)


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_form_numbers_are_ascii_digits(text: str):
    with pytest.raises(InvalidInput):
        whole_number(text, Term("comment replied to"), "reply_to")
    assert whole_number(" 12 ", Term("comment replied to"), "reply_to") == 12


@pytest.fixture
async def steward(db) -> dict[str, str]:
    account = await register_account("steward@example.org", PASSWORD, "S", role=Role.steward)
    return {"Authorization": f"Bearer {await create_api_token(account.id)}"}


@pytest.mark.parametrize("share", ["1e999999999", "9e9999", "1/0", "١/٢", "0x1", "1" * 5000])
async def test_a_decision_rule_share_is_refused_at_once(client: httpx.AsyncClient, steward, share: str):
    for field in ("quorum", "retire_threshold"):
        response = await client.put(
            f"/api/v1/frameworks/{SLUG}/decision-rule", json={field: share}, headers=steward
        )
        assert response.status_code == 400, response.text
        assert "share" in response.json()["detail"]
    rule = (await client.get(f"/api/v1/frameworks/{SLUG}/decision-rule")).json()
    assert (rule["quorum"], rule["retire_threshold"]) == ("1/2", "2/3")


@pytest.mark.parametrize("value", [*NOT_NUMBERS[:-3], "0", "1000001"])
async def test_page_numbers_are_plain_digits(client: httpx.AsyncClient, value: str):
    for path in ("/proposals", "/api/v1/proposals", "/steward/audit"):
        response = await client.get(f"{path}?page={quote(value)}")
        assert response.status_code in (400, 303), (path, value, response.status_code)  # 303: sign in first
    response = await client.get(f"/api/v1/proposals?per_page={quote(value)}")
    assert response.status_code == 400, value


@pytest.mark.parametrize("number", ["١٢", "１２", "1_2", "+1", "٣"])
async def test_ids_in_addresses_are_plain_digits(client: httpx.AsyncClient, number: str):
    for path in ("/proposals/{}", "/api/v1/proposals/{}", "/api/v1/proposals/{}/comments"):
        response = await client.get(path.format(quote(number)))
        assert response.status_code == 404, (path, number, response.status_code)


async def test_accept_language_weights_are_read_safely(client: httpx.AsyncClient):
    for header in ("en;q=1e999999999", "en;q=nan, fr;q=0.1", "en;q=١", "en;q=" + "9" * 10_000):
        response = await client.get("/", headers={"Accept-Language": header.encode()})
        assert response.status_code == 200
