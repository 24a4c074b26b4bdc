"""A person on the co-design loop's pages: signing in, posting forms with their CSRF token, and the
accounts, groups and proposals the page tests start from; and the checks every page must pass."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import httpx

from proposals.accounts import register_account
from proposals.proposing import create_proposal
from proposals.roles import Actor, Role
from proposals.working_groups import add_member, create_working_group
from tests.constants import PASSWORD, SLUG

CONTENT = ("title", "statement", "rationale", "evidence_level", "measurement", "territorial_note")


def csrf_of(page: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)


async def sign_in(client: httpx.AsyncClient, email: str) -> None:
    """Signed in as `email` (and no one else): a fresh cookie jar, then the sign-in form."""
    client.cookies.clear()
    form = (await client.get("/sign-in")).text
    response = await client.post(
        "/sign-in", data={"_csrf_token": csrf_of(form), "email": email, "password": PASSWORD}
    )
    assert response.status_code == 303, response.text


async def token(client: httpx.AsyncClient) -> str:
    """The CSRF token of the client's cookie, as any form of the site carries it."""
    return csrf_of((await client.get("/sign-in")).text)


async def post(client: httpx.AsyncClient, url: str, data: dict | None = None) -> httpx.Response:
    return await client.post(url, data={"_csrf_token": await token(client), **(data or {})})


async def person(email: str, name: str, role: Role = Role.practitioner, organisation: str = "") -> Actor:
    account = await register_account(email, PASSWORD, name, organisation, role=role)
    return account.actor


async def indicator_text(client: httpx.AsyncClient, code: str) -> dict:
    release = (await client.get(f"/api/v1/frameworks/{SLUG}/releases/latest")).json()
    return next(i for theme in release["themes"] for i in theme["indicators"] if i["code"] == code)


def content_form(text: dict, **changes: str) -> dict:
    fields = {f"content_{name}": text.get(name) or "" for name in CONTENT}
    return {**fields, **{f"content_{name}": value for name, value in changes.items()}}


async def group_for(steward: Actor, themes: list[str], *members: Actor) -> int:
    group = await create_working_group(steward, SLUG, f"GT {'-'.join(themes)}", themes)
    for member in members:
        await add_member(steward, group.id, member.id)
    return group.id


async def amendment(author: Actor, statement: str, code: str = "REC-1", **extra) -> int:
    view = await create_proposal(
        author,
        SLUG,
        "amend",
        "latest",
        extra.pop("title", "Parler des fins de relation"),
        "Les *fins de relation* sont un risque.",
        indicator=code,
        content={"statement": statement},
        **extra,
    )
    return view.id


def unescaped(response: httpx.Response) -> str:
    return html.unescape(response.text)


class _Structure(HTMLParser):
    """What test_pages_are_well_formed checks: ids, labels, headings, inline code."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_targets: list[str] = []
        self.controls: list[str] = []
        self.h1 = 0
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag == "label" and "for" in attributes:
            self.label_targets.append(attributes["for"])
        if tag in ("input", "select", "textarea") and attributes.get("type") not in ("hidden", "submit"):
            self.controls.append(attributes.get("id") or f"<{tag} name={attributes.get('name')}> without id")
        if tag == "h1":
            self.h1 += 1
        if tag == "script" or "style" in attributes or any(name.startswith("on") for name in attributes):
            self.inline.append(tag)


def check_structure(page: str) -> None:
    """One h1, unique ids, every form control labelled, no inline script or style."""
    found = _Structure()
    found.feed(page)
    assert found.h1 == 1
    duplicates = {i for i in found.ids if found.ids.count(i) > 1}
    assert not duplicates, duplicates
    unlabelled = [c for c in found.controls if c not in found.label_targets]
    assert not unlabelled, unlabelled
    assert not found.inline
