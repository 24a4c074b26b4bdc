"""The canary of the hostile-input tests, the people who write it everywhere, and how a page or an
API answer is checked for it (parsed as a browser would, or decoded back to the exact canary)."""

from __future__ import annotations

import html
import json

import httpx

from tests.constants import PASSWORD
from tests.hostile.helpers import Site, make_steward, unsafe_markup

CANARY = '"><svg onload=alert(1)>{{7*7}}'
EVALUATED = CANARY.replace("{{7*7}}", "49")
# A spreadsheet formula in front of the canary: the CSV must defuse it.
FORMULA = '=HYPERLINK("https://evil.example")' + CANARY
EVIDENCE = "practice"


class Seen:
    """Every response the test looked at, by kind, with what it was."""

    def __init__(self) -> None:
        self.pages: list[tuple[str, httpx.Response]] = []
        self.json: list[tuple[str, httpx.Response]] = []
        self.other: list[tuple[str, httpx.Response]] = []

    def page(self, label: str, response: httpx.Response, status: int = 200) -> None:
        assert response.status_code == status, f"{label}: {response.status_code} {response.text[:300]}"
        self.pages.append((label, response))

    def api(self, label: str, response: httpx.Response, status: int | tuple = (200, 201)) -> dict | list:
        statuses = status if isinstance(status, tuple) else (status,)
        assert response.status_code in statuses, f"{label}: {response.status_code} {response.text[:300]}"
        self.json.append((label, response))
        return response.json()


def strings_in(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings_in(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


def html_fields(value: object, key: str = "") -> list[str]:
    """The values of the *_html fields of a JSON document (HTML a client may insert as is)."""
    if isinstance(value, dict):
        return [s for k, item in value.items() for s in html_fields(item, k)]
    if isinstance(value, list):
        return [s for item in value for s in html_fields(item, key)]
    return [value] if isinstance(value, str) and key.endswith("_html") else []


def check_page(label: str, response: httpx.Response) -> bool:
    """The page holds no markup from the canary; True if the canary's text is on it."""
    text = response.text
    assert response.headers["content-type"].startswith("text/html"), label
    assert response.headers["x-content-type-options"] == "nosniff", label
    assert CANARY not in text, f"{label}: the canary is in the page unescaped"
    assert not unsafe_markup(text), f"{label}: {unsafe_markup(text)}"
    shown = html.unescape(text)
    assert EVALUATED not in shown, f"{label}: {{{{7*7}}}} was evaluated"
    return CANARY in shown


def check_json(label: str, response: httpx.Response) -> bool:
    assert response.headers["content-type"] == "application/json", label
    assert response.headers["x-content-type-options"] == "nosniff", label
    document = json.loads(response.content)
    strings = strings_in(document)
    assert not any(EVALUATED in s for s in strings), label
    for fragment in html_fields(document):
        assert not unsafe_markup(fragment), f"{label}: {fragment[:200]}"
    # JSON is data: the canary parses back exactly, escaped only as JSON escapes it.
    return any(CANARY in s for s in strings)


async def people(site: Site) -> dict:
    """A steward, an author (registered with the form), three members; every name is the canary."""
    who: dict = {}
    steward_id = await site.register("steward@example.org", CANARY, CANARY, CANARY)
    await make_steward(steward_id)
    who["steward"] = await site.caller("steward@example.org")
    who["steward_browser"] = site.browser()
    await who["steward_browser"].sign_in("steward@example.org")

    author = site.browser()
    registered = await author.post(
        "/register",
        {
            "email": "author@example.org",
            "password": PASSWORD,
            "display_name": CANARY,
            "organisation": CANARY,
            "territory": CANARY,
        },
    )
    assert registered.status_code == 303, registered.text
    await author.sign_in("author@example.org")
    who["author_browser"] = author
    who["author"] = await site.caller("author@example.org")

    who["members"], who["member_browsers"] = [], []
    for number in range(3):
        email = f"member{number}@example.org"
        await site.register(email, f"{CANARY} {number}", CANARY, CANARY)
        who["members"].append(await site.caller(email))
        browser = site.browser()
        await browser.sign_in(email)
        who["member_browsers"].append(browser)
    return who
