"""The world most hostile-input tests attack: accounts, a working group, proposals and a comment;
and what a refusal must look like."""

from __future__ import annotations

import httpx

from tests.constants import SLUG
from tests.hostile.helpers import Browser, Caller, Site, make_steward

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


async def make_world(site: Site) -> World:
    """Three accounts (a steward, an author, a group member), a working group, a proposal in
    discussion with a comment, and one being voted on."""
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
