"""Bad input never gets a 5xx, always a 4xx whose `detail` (API) or page says what is wrong, and
nothing is stored: malformed JSON, wrong types, NUL characters, oversize bodies and fields, odd ids,
path tricks, SQL-looking strings, unknown query keys and values. Each test counts the rows of every
table before and after (sessions, tokens and sign-in counters aside)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from proposals.discussion import COMMENT_MAX, HIDE_REASON_MAX
from proposals.services import TEXT_MAX, TITLE_MAX
from proposals.voting import VOTE_REASON_MAX
from server.requests import MAX_BODY_BYTES
from tests.hostile.helpers import SLUG, Browser, Caller, Site, make_steward, row_counts

AMENDMENT = {
    "kind": "amend",
    "base_version": "latest",
    "indicator": "REC-1",
    "title": "Préciser la durée",
    "rationale": "Plus clair.",
    "content": {"statement": "Un énoncé revu."},
}


class World:
    steward: Caller
    author: Caller
    member: Caller
    steward_browser: Browser
    author_browser: Browser
    discussed: int  # a proposal in discussion
    voted: int  # a proposal being voted on
    comment: int
    group: int


@pytest.fixture
async def world(site: Site) -> World:
    world = World()
    for email in ("steward@example.org", "author@example.org", "member@example.org"):
        account_id = await site.register(email, email.split("@")[0].capitalize())
        if email.startswith("steward"):
            await make_steward(account_id)
    world.steward = await site.caller("steward@example.org")
    world.author = await site.caller("author@example.org")
    world.member = await site.caller("member@example.org")
    world.steward_browser, world.author_browser = site.browser(), site.browser()
    await world.steward_browser.sign_in("steward@example.org")
    await world.author_browser.sign_in("author@example.org")
    group = await world.steward.call(
        "POST", f"/frameworks/{SLUG}/working-groups", json={"name": "GT", "themes": ["REC"]}
    )
    world.group = group.json()["id"]
    await world.steward.call("PUT", f"/working-groups/{world.group}/members/{world.member.id}")
    proposals = []
    for indicator in ("REC-1", "REC-2"):
        created = await world.author.call(
            "POST", f"/frameworks/{SLUG}/proposals", json={**AMENDMENT, "indicator": indicator}
        )
        assert created.status_code == 201, created.text
        proposals.append(created.json()["id"])
    world.discussed, world.voted = proposals
    assert (await world.steward.call("POST", f"/proposals/{world.voted}/voting")).status_code == 200
    comment = await world.member.call("POST", f"/proposals/{world.discussed}/comments", json={"body": "Oui."})
    world.comment = comment.json()["id"]
    return world


def refused(response: httpx.Response, label: str, statuses: tuple[int, ...] = ()) -> str:
    """A 4xx (one of `statuses` if given) that says what is wrong; returns what it said."""
    assert 400 <= response.status_code < 500, f"{label}: {response.status_code} {response.text[:500]}"
    if statuses:
        assert response.status_code in statuses, f"{label}: {response.status_code} {response.text[:300]}"
    if response.request.url.path.startswith("/api/"):
        assert response.headers["content-type"] == "application/json", label
        detail = response.json()["detail"]
        assert isinstance(detail, str) and len(detail) > 10, f"{label}: {detail!r}"
        return detail
    assert response.headers["content-type"].startswith("text/html"), label
    assert 'class="detail"' in response.text or 'class="error' in response.text, (
        f"{label}: {response.text[:500]}"
    )
    return response.text


# --- JSON bodies ------------------------------------------------------------------------------

MALFORMED = [
    b"",
    b"{",
    b'{"title": }',
    b"[]",
    b"null",
    b'"a string"',
    b"42",
    b"\xff\xfe{}",
    b'{"title": "\xff"}',
    b"{'title': 'single quotes'}",
    b'{"title": NaN}',
    b'{"a": 1e999999}',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    b'{"title": "x", "title": "y"}{}',
]


def bodies_endpoints(world: World) -> list[tuple[str, str, Caller]]:
    """Every API endpoint that takes a JSON body, with a caller allowed to use it."""
    return [
        ("POST", "/accounts", world.author),
        ("POST", "/tokens", world.author),
        ("PATCH", f"/accounts/{world.member.id}", world.steward),
        ("POST", f"/frameworks/{SLUG}/working-groups", world.steward),
        ("PUT", f"/frameworks/{SLUG}/decision-rule", world.steward),
        ("POST", f"/frameworks/{SLUG}/proposals", world.author),
        ("PATCH", f"/proposals/{world.discussed}", world.author),
        ("POST", f"/proposals/{world.discussed}/comments", world.author),
        ("POST", f"/comments/{world.comment}/hiding", world.steward),
        ("PUT", f"/proposals/{world.voted}/vote", world.member),
    ]


async def test_malformed_json_is_refused(site: Site, world: World):
    before = await row_counts()
    count = 0
    for method, path, caller in bodies_endpoints(world):
        for body in MALFORMED:
            for content_type in ("application/json", "text/plain"):
                response = await caller.call(
                    method, path, content=body, headers={"Content-Type": content_type}
                )
                refused(response, f"{method} {path} {content_type} {body[:30]!r}", (400, 415))
                count += 1
    assert await row_counts() == before
    print(f"malformed JSON: {count} requests, {count} refused")


def valid_bodies(world: World) -> list[tuple[str, str, Caller, dict, set[str]]]:
    """Bodies the API accepts, and their fields that may be null."""
    return [
        (
            "POST",
            "/accounts",
            world.author,
            {"email": "new@example.org", "password": "un mot de passe solide", "display_name": "N"},
            set(),
        ),
        ("PATCH", f"/accounts/{world.author.id}", world.steward, {"role": "member"}, {"role"}),
        (
            "POST",
            f"/frameworks/{SLUG}/working-groups",
            world.steward,
            {"name": "GT2", "themes": ["SEL"]},
            set(),
        ),
        (
            "PUT",
            f"/frameworks/{SLUG}/decision-rule",
            world.steward,
            {"min_discussion_days": 3, "quorum": "1/3"},
            {"min_discussion_days", "quorum"},
        ),
        (
            "POST",
            f"/frameworks/{SLUG}/proposals",
            world.author,
            {**AMENDMENT, "indicator": "REC-3"},
            {"indicator", "content", "content.statement"},
        ),
        (
            "PATCH",
            f"/proposals/{world.discussed}",
            world.author,
            {"revision": 1, "title": "Autre titre", "content": {"measurement": "Compter."}},
            {"title", "content", "content.measurement"},
        ),
        (
            "POST",
            f"/proposals/{world.discussed}/comments",
            world.author,
            {"body": "Bien.", "reply_to": world.comment},
            {"reply_to"},
        ),
        ("POST", f"/comments/{world.comment}/hiding", world.steward, {"reason": "Hors sujet."}, set()),
        ("PUT", f"/proposals/{world.voted}/vote", world.member, {"choice": "for", "reason": "Oui."}, set()),
    ]


def wrong_values(valid: object) -> list[object]:
    """Values of another type than `valid`'s (and out-of-range whole numbers)."""
    if isinstance(valid, bool):
        return ["true", 1, None, []]
    if isinstance(valid, int):
        return ["1", 4.5, True, [], {}, -1, 2**64, None]
    if isinstance(valid, str):
        return [42, 4.5, True, [], {}, ["x"], None]
    if isinstance(valid, list):
        return ["REC", 42, {}, [42], [None], [["REC"]], None]
    return ["x", 42, [], True, None]


def fields_of(body: dict) -> list[tuple[str, object]]:
    """(dotted name, valid value) of every field, content fields included."""
    result = []
    for name, value in body.items():
        result.append((name, value))
        if isinstance(value, dict):
            result.extend((f"{name}.{inner}", inner_value) for inner, inner_value in value.items())
    return result


def replaced(body: dict, field: str, value: object) -> dict:
    outer, _, inner = field.partition(".")
    if inner:
        return {**body, outer: {**body[outer], inner: value}}
    return {**body, outer: value}


async def test_wrong_types_are_refused_naming_the_field(site: Site, world: World):
    # The valid bodies are accepted (so each refusal below is about the one field changed)...
    for method, path, caller, body, _nullable in valid_bodies(world):
        if method == "POST" or path.startswith("/proposals/"):
            continue  # would store something, or change the revision
        response = await caller.call(method, path, json=body)
        assert response.status_code < 300, (path, response.text)
    before = await row_counts()
    count = 0
    for method, path, caller, body, nullable in valid_bodies(world):
        for field, valid in fields_of(body):
            for value in wrong_values(valid):
                if value is None and field in nullable:
                    continue  # null means "not given"
                response = await caller.call(method, path, json=replaced(body, field, value))
                detail = refused(response, f"{method} {path} {field}={value!r}", (400, 409))
                name = field.split(".")[-1]
                if response.status_code == 400:
                    assert name in detail or name.replace("_", " ") in detail, (path, field, value, detail)
                count += 1
    assert await row_counts() == before
    print(f"wrong types: {count} requests, {count} refused")


# --- NUL characters ---------------------------------------------------------------------------

FREE_TEXT = {"email", "password", "display_name", "name", "title", "rationale", "statement", "measurement"}
FREE_TEXT |= {"body", "reason"}


async def test_nul_characters_are_refused_everywhere(site: Site, world: World):
    before = await row_counts()
    count = 0
    # In every string of every JSON body.
    for method, path, caller, body, _nullable in valid_bodies(world):
        for field, valid in fields_of(body):
            if isinstance(valid, str):
                for value in ("\x00", f"{valid}\x00", f"\x00{valid}"):
                    response = await caller.call(method, path, json=replaced(body, field, value))
                    detail = refused(response, f"{method} {path} {field} with NUL", (400, 404))
                    if value != "\x00" and field.split(".")[-1] in FREE_TEXT:
                        assert "NUL" in detail, detail  # (others: "unknown role 'member\x00'"...)
                    count += 1
            if isinstance(valid, list):
                response = await caller.call(method, path, json=replaced(body, field, ["RE\x00C"]))
                refused(response, f"{method} {path} {field} with NUL", (400, 404))
                count += 1
    # In form fields.
    browser = world.author_browser
    forms = [
        (
            "/register",
            {"email": "nul@example.org", "password": "un mot de passe solide", "display_name": "N"},
        ),
        ("/sign-in", {"email": "author@example.org", "password": "un mot de passe solide"}),
        (
            "/proposals",
            {
                "kind": "amend",
                "indicator": "REC-3",
                "base_version": "latest",
                "title": "T",
                "rationale": "R",
                "content_statement": "S",
            },
        ),
        ("/proposals/preview", {"kind": "amend", "indicator": "REC-3", "content_statement": "S"}),
        (f"/proposals/{world.discussed}/comments", {"body": "Bien."}),
        (f"/proposals/{world.discussed}/edit", {"expected_revision": "1", "title": "T", "rationale": "R"}),
    ]
    for path, form in forms:
        for name in form:
            anonymous = site.browser()
            poster = anonymous if path in ("/register", "/sign-in") else browser
            response = await poster.post(path, {**form, name: form[name] + "\x00"})
            refused(response, f"POST {path} {name} with NUL", (400, 404))
            count += 1
    steward = world.steward_browser
    steward_forms = [
        (f"/comments/{world.comment}/hiding", {"reason": "Hors sujet", "proposal": str(world.discussed)}),
        ("/steward/working-groups", {"name": "GT2", "themes": "SEL"}),
        (f"/steward/working-groups/{world.group}/members", {"account": str(world.author.id)}),
        (f"/steward/accounts/{world.author.id}/role", {"role": "member"}),
    ]
    for path, form in steward_forms:
        for name in form:
            if name == "proposal":
                continue  # only read to show an error beside the form; ignored when hiding succeeds
            response = await steward.post(path, {**form, name: form[name] + "\x00"})
            refused(response, f"POST {path} {name} with NUL", (400, 404))
            count += 1
    # In path segments and query parameters.
    for path in (
        f"/api/v1/frameworks/{SLUG}%00/releases",
        f"/api/v1/frameworks/{SLUG}/releases/1.0.0%00",
        f"/api/v1/frameworks/{SLUG}/releases/%00",
        f"/api/v1/frameworks/{SLUG}/compare/1.0.0...%00",
        f"/api/v1/frameworks/{SLUG}/indicators/REC-1%00/revisions",
        f"/api/v1/frameworks/{SLUG}/decision-rule%00",
        "/api/v1/proposals/1%00",
        "/api/v1/proposals?status=discussion%00",
        "/api/v1/proposals?framework=%00",
        "/api/v1/proposals?theme=REC%00",
        "/api/v1/proposals?page=1%00",
        f"/frameworks/{SLUG}%00",
        f"/frameworks/{SLUG}/releases/1.0.0%00",
        f"/frameworks/{SLUG}/releases/1.0.0.csv%00",
        f"/frameworks/{SLUG}/releases/latest/indicators/REC-1%00",
        f"/frameworks/{SLUG}/indicators/REC-1%00",
        f"/frameworks/{SLUG}/compare/1.0.0...latest%00",
        f"/frameworks/{SLUG}/compare?from=1.0.0%00&to=latest",
        "/proposals?status=%00",
        "/proposals?theme=%00",
        "/proposals?page=%00",
        "/proposals/new?kind=amend&indicator=REC-1%00",
        "/proposals/1%00",
        "/language/fr%00",
        "/steward/audit?page=%00",
    ):
        response = await world.steward_browser.get(path)
        if response.status_code == 303:  # the compare form sends to the comparison's address
            response = await world.steward_browser.get(response.headers["location"])
        refused(response, f"GET {path}")
        count += 1
    # The language switch still switches, to the home page rather than to such a `next`.
    switched = await world.steward_browser.get("/language/fr?next=/%00")
    assert switched.status_code == 303 and switched.headers["location"] == "/"
    assert await row_counts() == before
    print(f"NUL characters: {count} requests, {count} refused")


# --- Oversize bodies and fields ---------------------------------------------------------------


async def test_oversize_bodies_get_413_with_a_clear_message(site: Site, world: World):
    before = await row_counts()
    big = "x" * (MAX_BODY_BYTES + 1)
    count = 0
    for method, path, caller in bodies_endpoints(world):
        response = await caller.call(method, path, json={"body": big})
        detail = refused(response, f"{method} {path} oversize", (413,))
        assert "1,048,576 bytes" in detail and "too large" in detail, detail
        count += 1

    # Without Content-Length (chunked): counted as it comes.
    async def chunks():
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    response = await world.author.call(
        "POST",
        f"/proposals/{world.discussed}/comments",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    refused(response, "chunked oversize", (413,))
    count += 1
    # Forms: the page says it.
    for path in ("/proposals", f"/proposals/{world.discussed}/comments", "/register", "/sign-in"):
        response = await world.author_browser.post(path, {"body": big, "title": "t"})
        page = refused(response, f"POST {path} oversize form", (413,))
        assert "La requête est trop volumineuse" in page  # in French, the default
        count += 1
    response = await world.author_browser.client.post(
        f"/proposals/{world.discussed}/comments",
        data={"_csrf_token": await world.author_browser.token()},
        files={"body": ("a.txt", big.encode())},
    )
    refused(response, "oversize multipart", (413,))
    count += 1
    # A body just under the limit is read (and refused for what it holds, not for its size).
    response = await world.author.call(
        "POST", f"/proposals/{world.discussed}/comments", json={"body": "x" * (MAX_BODY_BYTES - 100)}
    )
    detail = refused(response, "large comment", (400,))
    assert f"{COMMENT_MAX:,}" in detail
    assert await row_counts() == before
    print(f"oversize bodies: {count + 1} requests, {count + 1} refused")


async def test_oversize_fields_are_refused_with_their_limit(site: Site, world: World):
    before = await row_counts()
    cases = [
        (
            "POST",
            "/accounts",
            world.author,
            {"email": "a@example.org", "password": "p" * 1025, "display_name": "N"},
        ),
        (
            "POST",
            "/accounts",
            world.author,
            {"email": "a" * 250 + "@x.org", "password": "un mot de passe solide", "display_name": "N"},
        ),
        (
            "POST",
            "/accounts",
            world.author,
            {"email": "a@example.org", "password": "un mot de passe solide", "display_name": "N" * 101},
        ),
        (
            "POST",
            "/accounts",
            world.author,
            {
                "email": "a@example.org",
                "password": "un mot de passe solide",
                "display_name": "N",
                "organisation": "O" * 201,
            },
        ),
        (
            "POST",
            "/accounts",
            world.author,
            {
                "email": "a@example.org",
                "password": "un mot de passe solide",
                "display_name": "N",
                "territory": "T" * 101,
            },
        ),
        ("POST", "/tokens", world.author, {"email": "a" * 300, "password": "x"}),
        ("POST", f"/frameworks/{SLUG}/working-groups", world.steward, {"name": "G" * 201, "themes": ["SEL"]}),
        (
            "POST",
            f"/frameworks/{SLUG}/working-groups",
            world.steward,
            {"name": "G", "themes": [f"T{i}" for i in range(50_000)]},
        ),
        (
            "POST",
            f"/frameworks/{SLUG}/proposals",
            world.author,
            {**AMENDMENT, "title": "T" * (TITLE_MAX + 1)},
        ),
        (
            "POST",
            f"/frameworks/{SLUG}/proposals",
            world.author,
            {**AMENDMENT, "rationale": "R" * (TEXT_MAX + 1)},
        ),
        (
            "POST",
            f"/frameworks/{SLUG}/proposals",
            world.author,
            {**AMENDMENT, "content": {"statement": "S" * (TEXT_MAX + 1)}},
        ),
        (
            "POST",
            f"/frameworks/{SLUG}/proposals",
            world.author,
            {**AMENDMENT, "content": {"title": "T" * (TITLE_MAX + 1)}},
        ),
        (
            "POST",
            f"/frameworks/{SLUG}/proposals",
            world.author,
            {**AMENDMENT, "content": {"measurement": "M" * (TEXT_MAX + 1)}},
        ),
        (
            "POST",
            f"/frameworks/{SLUG}/proposals",
            world.author,
            {**AMENDMENT, "content": {"territorial_note": "N" * (TEXT_MAX + 1)}},
        ),
        ("POST", f"/frameworks/{SLUG}/proposals", world.author, {**AMENDMENT, "indicator": "I" * 10_000}),
        ("POST", f"/frameworks/{SLUG}/proposals", world.author, {**AMENDMENT, "base_version": "1" * 10_000}),
        (
            "PATCH",
            f"/proposals/{world.discussed}",
            world.author,
            {"revision": 1, "title": "T" * (TITLE_MAX + 1)},
        ),
        ("POST", f"/proposals/{world.discussed}/comments", world.author, {"body": "C" * (COMMENT_MAX + 1)}),
        ("POST", f"/comments/{world.comment}/hiding", world.steward, {"reason": "R" * (HIDE_REASON_MAX + 1)}),
        (
            "PUT",
            f"/proposals/{world.voted}/vote",
            world.member,
            {"choice": "for", "reason": "R" * (VOTE_REASON_MAX + 1)},
        ),
        ("PUT", f"/frameworks/{SLUG}/decision-rule", world.steward, {"quorum": "1" * 10_000 + "/3"}),
        ("PUT", f"/frameworks/{SLUG}/decision-rule", world.steward, {"min_discussion_days": 10**30}),
    ]
    for method, path, caller, body in cases:
        response = await caller.call(method, path, json=body)
        refused(response, f"{method} {path} {str(body)[:80]}", (400, 404))
    # The same through the forms.
    forms = [
        (world.author_browser, f"/proposals/{world.discussed}/comments", {"body": "C" * (COMMENT_MAX + 1)}),
        (
            world.author_browser,
            f"/proposals/{world.discussed}/edit",
            {"expected_revision": "1", "title": "T" * 201, "rationale": "R"},
        ),
        (
            world.steward_browser,
            f"/comments/{world.comment}/hiding",
            {"reason": "R" * 501, "proposal": str(world.discussed)},
        ),
        (world.steward_browser, "/steward/working-groups", {"name": "G" * 201, "themes": "SEL"}),
        (
            site.browser(),
            "/register",
            {"email": "b@example.org", "password": "un mot de passe solide", "display_name": "N" * 101},
        ),
    ]
    for browser, path, form in forms:
        response = await browser.post(path, form)
        refused(response, f"POST {path} oversize field", (400,))
    assert await row_counts() == before
    print(f"oversize fields: {len(cases) + len(forms)} requests, all refused")


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
