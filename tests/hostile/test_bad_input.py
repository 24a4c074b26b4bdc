"""Bad input never gets a 5xx, always a 4xx whose `detail` (API) or page says what is wrong, and
nothing is stored: malformed JSON, wrong types, NUL characters. Each test counts the rows of every
table before and after (sessions, tokens and sign-in counters aside). Oversize input is in
test_oversize_input.py, odd addresses in test_odd_addresses.py."""

from __future__ import annotations

from tests.constants import PASSWORD, SLUG
from tests.hostile.helpers import Caller, Site, row_counts
from tests.hostile.world import AMENDMENT, World, bodies_endpoints, refused

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
            {"email": "new@example.org", "password": PASSWORD, "display_name": "N"},
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
            {"email": "nul@example.org", "password": PASSWORD, "display_name": "N"},
        ),
        ("/sign-in", {"email": "author@example.org", "password": PASSWORD}),
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
