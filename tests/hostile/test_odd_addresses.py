"""Odd addresses never get a 5xx, and nothing is stored: unknown, negative and huge ids, path
tricks in versions, slugs and codes, SQL-looking strings, unknown query keys and values."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.constants import SLUG
from tests.hostile.helpers import Site, row_counts
from tests.hostile.world import AMENDMENT, World, refused

# --- Ids ------------------------------------------------------------------------------------------

ODD_IDS = [
    "0",
    "-1",
    "999999",
    str(2**31),
    str(2**63),
    str(2**64),
    "9" * 40,
    "1e3",
    "0x10",
    "1.0",
    "abc",
]


async def test_unknown_negative_and_huge_ids(site: Site, world: World):
    before = await row_counts()
    count = 0
    api = [
        ("GET", "/proposals/{}", world.steward, None),
        ("PATCH", "/proposals/{}", world.author, {"revision": 1, "title": "T"}),
        ("GET", "/proposals/{}/comments", world.steward, None),
        ("POST", "/proposals/{}/comments", world.author, {"body": "B"}),
        ("POST", "/comments/{}/hiding", world.steward, {"reason": "R"}),
        ("POST", "/proposals/{}/voting", world.steward, None),
        ("PUT", "/proposals/{}/vote", world.member, {"choice": "for"}),
        ("POST", "/proposals/{}/decision", world.steward, None),
        ("POST", "/proposals/{}/withdrawal", world.author, None),
        ("PATCH", "/accounts/{}", world.steward, {"role": "member"}),
        ("PUT", "/working-groups/{}/members/" + str(world.author.id), world.steward, None),
        ("PUT", f"/working-groups/{world.group}/members/{{}}", world.steward, None),
        ("POST", f"/proposals/{world.discussed}/comments", world.author, "reply_to"),
    ]
    for method, template, caller, body in api:
        for odd in ODD_IDS:
            if body == "reply_to":
                if not odd.lstrip("-").isdigit():
                    continue
                response = await caller.call(method, template, json={"body": "B", "reply_to": int(odd)})
            else:
                response = await caller.call(method, template.format(odd), json=body)
            refused(response, f"{method} {template.format(odd)}", (400, 404))
            count += 1
    pages = [
        ("GET", "/proposals/{}"),
        ("GET", "/proposals/{}/edit"),
        ("POST", "/proposals/{}/comments"),
        ("POST", "/proposals/{}/vote"),
        ("POST", "/proposals/{}/voting"),
        ("POST", "/proposals/{}/decision"),
        ("POST", "/proposals/{}/withdrawal"),
        ("POST", "/proposals/{}/edit"),
        ("POST", "/comments/{}/hiding"),
        ("POST", "/steward/accounts/{}/role"),
        ("POST", "/steward/accounts/{}/active"),
        ("POST", "/steward/working-groups/{}/members"),
        ("POST", "/steward/working-groups/" + str(world.group) + "/members/{}/removal"),
        ("GET", "/steward/audit?page={}"),
        ("GET", "/proposals?page={}"),
    ]
    for method, template in pages:
        # The author revises and withdraws; the steward does the rest.
        browser = (
            world.author_browser if template.endswith(("/edit", "/withdrawal")) else world.steward_browser
        )
        for odd in ODD_IDS:
            if "?page=" in template and odd in ("999999", "1e3", "1.0"):
                continue  # a page past the last one (1e3 is read as 1000, 1.0 as 1): not an error
            path = template.format(odd)
            if method == "GET":
                response = await browser.get(path)
            else:
                form = {
                    "body": "B",
                    "choice": "for",
                    "reason": "R",
                    "role": "member",
                    "account": odd,
                    "proposal": odd,
                }
                response = await browser.post(
                    path, {**form, "expected_revision": "1", "title": "T", "rationale": "R"}
                )
            refused(response, f"{method} {path}", (400, 403, 404))
            count += 1
    for form_field, path in (
        ("reply_to", f"/proposals/{world.discussed}/comments"),
        ("expected_revision", f"/proposals/{world.discussed}/edit"),
        ("account", f"/steward/working-groups/{world.group}/members"),
        ("proposal", "/comments/999999/hiding"),
    ):
        browser = world.author_browser if path.endswith("/edit") else world.steward_browser
        for odd in ODD_IDS:
            response = await browser.post(
                path, {"body": "B", "title": "T", "rationale": "R", "reason": "R", form_field: odd}
            )
            refused(response, f"POST {path} {form_field}={odd}", (400, 403, 404))
            count += 1
    assert await row_counts() == before
    print(f"odd ids: {count} requests, {count} refused")


# --- Path tricks in versions, slugs and codes ----------------------------------------------------

TRICKS = [
    "..%2f..%2fetc%2fpasswd",
    "..%2F",
    "%2e%2e",
    "%00",
    "1.0.0%00",
    "1.0.0%2500",
    "１.０.０",  # fullwidth digits
    "١.٠.٠",  # Arabic-Indic digits
    "1.0.0%E2%80%AE",  # right-to-left override
    "1.0.0%C0%AE",  # overlong UTF-8 dot
    "%FF",
    "1.0",
    "1.0.0.0",
    "01.0.0",
    "-1.0.0",
    "1.0.0-rc1",
    "99999999999999999999.0.0",
    "LATEST",
    "latest.json.csv",
    "1.0.0.exe",
    "1.0.0%0d%0aSet-Cookie:x=1",
    "%3Cscript%3E",
    "'%20OR%20'1'='1",
]


async def test_path_tricks_in_versions_slugs_and_codes(site: Site, world: World):
    count = 0
    browser = site.browser()
    for trick in TRICKS:
        for path in (
            f"/api/v1/frameworks/{SLUG}/releases/{trick}",
            f"/api/v1/frameworks/{SLUG}/compare/{trick}...latest",
            f"/api/v1/frameworks/{SLUG}/compare/1.0.0...{trick}",
            f"/api/v1/frameworks/{trick}/releases",
            f"/api/v1/frameworks/{trick}/decision-rule",
            f"/api/v1/frameworks/{SLUG}/indicators/{trick}/revisions",
            f"/frameworks/{SLUG}/releases/{trick}",
            f"/frameworks/{SLUG}/releases/{trick}.csv",
            f"/frameworks/{SLUG}/releases/{trick}.md",
            f"/frameworks/{SLUG}/releases/{trick}/indicators/REC-1",
            f"/frameworks/{SLUG}/releases/latest/indicators/{trick}",
            f"/frameworks/{SLUG}/compare/{trick}...latest",
            f"/frameworks/{trick}",
            f"/frameworks/{trick}/releases.atom",
        ):
            response = await browser.get(path)
            refused(response, f"GET {path}")
            assert "x=1" not in response.headers.get("set-cookie", ""), path
            count += 1
    print(f"path tricks: {count} requests, {count} refused")


# --- SQL-looking strings ----------------------------------------------------------------------------

SQL = [
    "' OR '1'='1",
    "1; DROP TABLE proposal;--",
    "%' --",
    '") OR 1=1 --',
    "1 UNION SELECT password_hash FROM account",
]


async def test_sql_looking_strings_are_text(site: Site, world: World):
    """In filters and addresses they match nothing (4xx); in texts they are stored as written."""
    before = await row_counts()
    count = 0
    for text in SQL:
        quoted = quote(text, safe="")
        for path in (
            f"/api/v1/proposals?framework={quoted}",
            f"/api/v1/proposals?status={quoted}",
            f"/api/v1/proposals?theme={quoted}",
            f"/api/v1/proposals?page={quoted}",
            f"/api/v1/frameworks/{quoted}/releases",
            f"/api/v1/frameworks/{SLUG}/releases/{quoted}",
            f"/api/v1/frameworks/{SLUG}/indicators/{quoted}/revisions",
            f"/proposals?status={quoted}",
            f"/proposals?theme={quoted}",
            f"/frameworks/{quoted}",
        ):
            response = await world.author_browser.get(path)
            refused(response, f"GET {path}")
            count += 1
        response = await site.client.post("/api/v1/tokens", json={"email": text, "password": text})
        refused(response, "token with SQL", (400, 401))
        count += 1
    assert await row_counts() == before
    for text in SQL:
        created = await world.author.call(
            "POST", f"/frameworks/{SLUG}/proposals", json={**AMENDMENT, "title": text, "rationale": text}
        )
        assert created.status_code == 201, created.text
        assert created.json()["title"] == text
        comment = await world.author.call(
            "POST", f"/proposals/{world.discussed}/comments", json={"body": text}
        )
        assert comment.json()["body"] == text
    listed = (await world.author.call("GET", "/proposals?per_page=100")).json()
    assert {item["title"] for item in listed["items"]} >= set(SQL)
    assert listed["total"] == 2 + len(SQL)
    print(f"SQL-looking strings: {count} requests refused, {2 * len(SQL)} stored as text")


# --- Query keys and values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("status=nonsense", "status"),
        ("status=DISCUSSION", "status"),
        ("page=-1", "page"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("page=99999999999999999999", "page"),
        ("per_page=10000", "per_page"),
        ("per_page=0", "per_page"),
        ("per_page=-5", "per_page"),
        ("sort=x", "sort"),
        ("order=desc", "order"),
        ("status=discussion&page=-1&per_page=10000&sort=x", "page"),
        ("framework=nope", "nope"),
        ("theme=NOPE", "NOPE"),
        ("framework=" + "x" * 101, "framework"),
        ("status=discussion&status=voting", "status"),
        ("limit=5", "limit"),
        ("offset=5", "offset"),
    ],
)
async def test_unknown_query_keys_and_values_of_the_proposal_list(
    site: Site, world: World, query: str, named: str
):
    response = await world.author.call("GET", f"/proposals?{query}")
    detail = refused(response, query, (400, 404))
    assert named in detail, detail
