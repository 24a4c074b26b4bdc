"""Oversize bodies get 413 and oversize fields a 4xx naming their limit; nothing is stored."""

from __future__ import annotations

from proposals.discussion import COMMENT_MAX, HIDE_REASON_MAX
from proposals.services import TEXT_MAX, TITLE_MAX
from proposals.voting import VOTE_REASON_MAX
from tests.constants import PASSWORD, SLUG
from tests.hostile.helpers import Site, row_counts
from tests.hostile.world import AMENDMENT, World, bodies_endpoints, refused
from web.requests import MAX_BODY_BYTES

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
            {"email": "a" * 250 + "@x.org", "password": PASSWORD, "display_name": "N"},
        ),
        (
            "POST",
            "/accounts",
            world.author,
            {"email": "a@example.org", "password": PASSWORD, "display_name": "N" * 101},
        ),
        (
            "POST",
            "/accounts",
            world.author,
            {
                "email": "a@example.org",
                "password": PASSWORD,
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
                "password": PASSWORD,
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
            {"email": "b@example.org", "password": PASSWORD, "display_name": "N" * 101},
        ),
    ]
    for browser, path, form in forms:
        response = await browser.post(path, form)
        refused(response, f"POST {path} oversize field", (400,))
    assert await row_counts() == before
    print(f"oversize fields: {len(cases) + len(forms)} requests, all refused")
