"""A canary in every field a person controls never comes out as markup, nor as an evaluated template.

The canary closes an attribute, opens an element with an event handler, and holds a Jinja expression.
It goes in through the API and through the forms (display name, organisation, territory, working-group
names, proposal titles, rationales and every content field, revisions, comments, replies, hiding
reasons, vote reasons), the proposals are published, and every page, feed, export and API answer that
shows them is checked: HTML is parsed as a browser's tokenizer parses it (no svg element, no on*
attribute), the canary's text is there (escaped), `{{7*7}}` is never 49, JSON parses back to the exact
canary, the Atom feed parses as XML with the canary as text, the CSV holds it as data (formula cells
defused), and the Markdown export, rendered by a viewer that lets raw HTML through, shows it as text.
"""

from __future__ import annotations

import csv
import html
import io
import xml.etree.ElementTree as ET
from urllib.parse import quote

from markdown_it import MarkdownIt

from indicators.exports import FORMULA_TRIGGERS
from tests.constants import SLUG
from tests.hostile.canary import (
    CANARY,
    EVALUATED,
    EVIDENCE,
    FORMULA,
    Seen,
    check_json,
    check_page,
    people,
    strings_in,
)
from tests.hostile.helpers import Site, unsafe_markup


async def test_the_canary_never_comes_out_as_markup(site: Site):
    seen = Seen()
    who = await people(site)
    steward, author = who["steward"], who["author"]
    steward_browser, author_browser = who["steward_browser"], who["author_browser"]
    members, member_browsers = who["members"], who["member_browsers"]
    anonymous = site.browser()
    anonymous_api = site.anonymous()

    # Working groups: one through the API (REC), one through the steward form (SEL).
    group = seen.api(
        "create group",
        await steward.call(
            "POST", f"/frameworks/{SLUG}/working-groups", json={"name": CANARY, "themes": ["REC"]}
        ),
    )
    form_group = await steward_browser.post(
        "/steward/working-groups", [("name", f"{CANARY} SEL"), ("themes", "SEL")]
    )
    assert form_group.status_code == 303, form_group.text
    form_group_id = int(form_group.headers["location"].rsplit("-", 1)[1])
    for member in members:
        seen.api(
            "add member", await steward.call("PUT", f"/working-groups/{group['id']}/members/{member.id}")
        )
        added = await steward_browser.post(
            f"/steward/working-groups/{form_group_id}/members", {"account": str(member.id)}
        )
        assert added.status_code == 303, added.text

    # An amendment through the API, every text field the canary; then revised (PATCH).
    content = {
        name: CANARY for name in ("title", "statement", "rationale", "measurement", "territorial_note")
    }
    amendment = seen.api(
        "create amendment",
        await author.call(
            "POST",
            f"/frameworks/{SLUG}/proposals",
            json={
                "kind": "amend",
                "base_version": "latest",
                "indicator": "REC-1",
                "title": CANARY,
                "rationale": f"{CANARY} (first)",
                "content": {**content, "evidence_level": "research"},
            },
        ),
    )
    revised = await author.call(
        "PATCH",
        f"/proposals/{amendment['id']}",
        json={"revision": 1, "rationale": CANARY, "title": CANARY + "!"},
    )
    seen.api("revise amendment", revised)
    amendment_id = amendment["id"]

    # An addition through the form (SEL), with a formula in front of the canary in its measurement.
    created = await author_browser.post(
        "/proposals",
        {
            "kind": "add",
            "theme": "SEL",
            "base_version": "latest",
            "title": CANARY,
            "rationale": CANARY,
            "content_title": CANARY,
            "content_statement": CANARY,
            "content_rationale": CANARY,
            "content_evidence_level": EVIDENCE,
            "content_measurement": FORMULA,
            "content_territorial_note": CANARY,
        },
    )
    assert created.status_code == 303, created.text
    addition_id = int(created.headers["location"].rsplit("/", 1)[1])

    # A third proposal stays in discussion (its edit form is filled with the canary).
    third = await author.call(
        "POST",
        f"/frameworks/{SLUG}/proposals",
        json={
            "kind": "retire",
            "base_version": "latest",
            "indicator": "REC-2",
            "title": CANARY,
            "rationale": CANARY,
        },
    )
    third_id = seen.api("create retirement", third)["id"]

    # Comments: through the API and the form, a reply, two hidden with a reason (API and form).
    for pid in (amendment_id, addition_id, third_id):
        first = seen.api(
            "comment", await members[0].call("POST", f"/proposals/{pid}/comments", json={"body": CANARY})
        )
        reply = await author_browser.post(
            f"/proposals/{pid}/comments", {"body": CANARY, "reply_to": str(first["id"])}
        )
        assert reply.status_code == 303, reply.text
        hidden = seen.api(
            "comment", await members[1].call("POST", f"/proposals/{pid}/comments", json={"body": CANARY})
        )
        seen.api(
            "hide", await steward.call("POST", f"/comments/{hidden['id']}/hiding", json={"reason": CANARY})
        )
        other = await member_browsers[2].post(f"/proposals/{pid}/comments", {"body": f"{CANARY} 2"})
        other_id = int(other.headers["location"].rsplit("-", 1)[1])
        hid = await steward_browser.post(
            f"/comments/{other_id}/hiding", {"reason": CANARY, "proposal": str(pid)}
        )
        assert hid.status_code == 303, hid.text
        seen.api("comments", await anonymous_api.call("GET", f"/proposals/{pid}/comments"))

    # Votes: opened through the API and the form; reasons through both.
    seen.api("open vote", await steward.call("POST", f"/proposals/{amendment_id}/voting"))
    opened = await steward_browser.post(f"/proposals/{addition_id}/voting")
    assert opened.status_code == 303, opened.text
    for pid in (amendment_id, addition_id):
        seen.api(
            "vote",
            await members[0].call("PUT", f"/proposals/{pid}/vote", json={"choice": "for", "reason": CANARY}),
        )
        voted = await member_browsers[1].post(
            f"/proposals/{pid}/vote", {"choice": "against", "reason": CANARY}
        )
        assert voted.status_code == 303, voted.text
        seen.api(
            "vote",
            await members[2].call("PUT", f"/proposals/{pid}/vote", json={"choice": "for", "reason": CANARY}),
        )
        # While the vote is open, a member's page shows their own ballot and reason.
        seen.page("member's proposal page", await member_browsers[1].get(f"/proposals/{pid}"))
        seen.api("proposal in vote", await anonymous_api.call("GET", f"/proposals/{pid}"))

    # Form pages re-shown with an error keep what was typed: the canary again.
    seen.page(
        "proposal form with an error",
        await author_browser.post(
            "/proposals",
            {
                "kind": "add",
                "theme": "REC",
                "title": CANARY,
                "rationale": "x" * 50_001,
                "content_title": CANARY,
            },
        ),
        400,
    )
    seen.page(
        "comment form with an error",
        await author_browser.post(f"/proposals/{third_id}/comments", {"body": CANARY, "reply_to": "999999"}),
        404,
    )
    seen.page(
        "vote form with an error",
        await member_browsers[0].post(
            f"/proposals/{amendment_id}/vote", {"choice": "for", "reason": CANARY * 80}
        ),
        400,
    )
    seen.page(
        "hiding form with an error",
        await steward_browser.post("/comments/999999/hiding", {"reason": CANARY, "proposal": str(third_id)}),
        404,
    )
    seen.page(
        "working group form with an error",
        await steward_browser.post("/steward/working-groups", [("name", CANARY), ("themes", CANARY)]),
        404,
    )
    registration = site.browser()
    seen.page(
        "registration form with an error",
        await registration.post(
            "/register",
            {
                "email": CANARY,
                "password": "x",
                "display_name": CANARY,
                "organisation": CANARY,
                "territory": CANARY,
            },
        ),
        400,
    )
    seen.page(
        "sign-in form with an error",
        await registration.post("/sign-in", {"email": CANARY, "password": "x"}),
        400,
    )
    seen.page(
        "edit form with an error",
        await author_browser.post(
            f"/proposals/{third_id}/edit",
            {"expected_revision": "1", "title": CANARY, "rationale": "x" * 50_001},
        ),
        400,
    )

    # Decisions: the amendment through the API, the addition through the form; both accepted.
    decision = seen.api("decide", await steward.call("POST", f"/proposals/{amendment_id}/decision"))
    assert decision["status"] == "accepted", decision
    decided = await steward_browser.post(f"/proposals/{addition_id}/decision")
    assert decided.status_code == 303, decided.text
    latest = seen.api(
        "latest release", await anonymous_api.call("GET", f"/frameworks/{SLUG}/releases/latest")
    )
    assert latest["version"] == "1.2.0"
    new_code = next(
        i["code"]
        for t in latest["themes"]
        for i in t["indicators"]
        if i["title"] == CANARY and i["code"] != "REC-1"
    )

    # Every page, as each person sees it.
    public = [
        "/",
        "/proposals",
        "/proposals?status=accepted",
        "/proposals?status=discussion",
        "/proposals?theme=SEL",
        f"/frameworks/{SLUG}",
        f"/frameworks/{SLUG}/releases",
        f"/frameworks/{SLUG}/releases/latest",
        f"/frameworks/{SLUG}/releases/1.1.0",
        f"/frameworks/{SLUG}/releases/1.2.0",
        f"/frameworks/{SLUG}/compare/1.0.0...latest",
        f"/frameworks/{SLUG}/compare/1.0.0...1.1.0",
        f"/frameworks/{SLUG}/releases/latest/indicators/REC-1",
        f"/frameworks/{SLUG}/releases/1.1.0/indicators/REC-1",
        f"/frameworks/{SLUG}/releases/latest/indicators/{new_code}",
        f"/frameworks/{SLUG}/indicators/REC-1",
        f"/frameworks/{SLUG}/indicators/{new_code}",
        *(f"/proposals/{pid}" for pid in (amendment_id, addition_id, third_id)),
    ]
    for browser, name in ((anonymous, "anonymous"), (author_browser, "author"), (steward_browser, "steward")):
        for language in ("fr", "en"):
            browser.client.cookies.set("lang", language, domain="testserver")
            for path in public:
                seen.page(f"{name} {language} {path}", await browser.get(path))
    for path in ("/account", f"/proposals/{third_id}/edit", "/proposals/new?kind=amend&indicator=REC-1"):
        seen.page(f"author {path}", await author_browser.get(path))
    seen.page(
        "new proposal on the new indicator",
        await author_browser.get(f"/proposals/new?kind=amend&indicator={new_code}"),
    )
    for path in ("/steward", "/steward/accounts", "/steward/working-groups", "/steward/audit", "/account"):
        seen.page(f"steward {path}", await steward_browser.get(path))
    seen.page("member's account", await member_browsers[0].get("/account"))

    # The canary in addresses: error pages say what was asked for, escaped.
    quoted = quote(CANARY, safe="")
    for path, status in (
        (f"/frameworks/{quoted}", 404),
        (f"/frameworks/{SLUG}/releases/{quoted}", 400),
        (f"/frameworks/{SLUG}/indicators/{quoted}", 200),
        (f"/frameworks/{SLUG}/compare/{quoted}", 404),
        (f"/proposals?status={quoted}", 400),
        (f"/language/{quoted}", 404),
        (f"/sign-in?next={quoted}", 200),
        (f"/register?next={quoted}", 200),
    ):
        response = await anonymous.get(path)
        assert response.status_code in (status, 400, 404), f"{path}: {response.status_code}"
        seen.page(path, response, response.status_code)

    # The API, signed out and signed in.
    for caller in (anonymous_api, steward):
        for path in (
            "/proposals",
            "/proposals?status=accepted",
            *(f"/proposals/{pid}" for pid in (amendment_id, addition_id, third_id)),
            *(f"/proposals/{pid}/comments" for pid in (amendment_id, addition_id, third_id)),
            "/frameworks",
            f"/frameworks/{SLUG}/releases",
            f"/frameworks/{SLUG}/releases/latest",
            f"/frameworks/{SLUG}/compare/1.0.0...latest",
            f"/frameworks/{SLUG}/indicators/REC-1/revisions",
            f"/frameworks/{SLUG}/indicators/{new_code}/revisions",
        ):
            seen.api(f"GET {path}", await caller.call("GET", path))
    for caller in (steward, author, *members):
        seen.api("me", await caller.call("GET", "/accounts/me"))
    for path, status in (
        (f"/frameworks/{quoted}/releases", 404),
        (f"/frameworks/{SLUG}/releases/{quoted}", 400),
        (f"/frameworks/{SLUG}/compare/{quoted}", 404),
        (f"/proposals?status={quoted}", 400),
    ):
        seen.api(f"GET {path}", await anonymous_api.call("GET", path), (status, 400, 404))

    # Pages: no markup from the canary anywhere; its text where a field shows it.
    showing = {label for label, response in seen.pages if check_page(label, response)}
    # Where it is not shown: a page with no user text, and `next` refused as not a local path.
    silent = {"steward /steward", f"/sign-in?next={quoted}", f"/register?next={quoted}"}
    assert {label for label, _ in seen.pages} - showing == silent

    # API answers: JSON with nosniff, the exact canary inside.
    showing_json = {label for label, response in seen.json if check_json(label, response)}
    assert "GET /proposals" in showing_json and "latest release" in showing_json and "me" in showing_json

    # The Atom feed: XML whose release summaries hold the canary as text.
    feed = await anonymous.get(f"/frameworks/{SLUG}/releases.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert b"<svg" not in feed.content and CANARY.encode() not in feed.content
    root = ET.fromstring(feed.content)
    atom = "{http://www.w3.org/2005/Atom}"
    summaries = [entry.findtext(f"{atom}summary") for entry in root.iter(f"{atom}entry")]
    assert any(s and s.startswith(CANARY) for s in summaries), summaries
    assert not [e for e in root.iter() if e.tag.endswith("svg")]

    # JSON export: data, exact canary.
    exported = await anonymous.get(f"/frameworks/{SLUG}/releases/latest.json")
    assert exported.headers["content-type"] == "application/json"
    assert exported.headers["x-content-type-options"] == "nosniff"
    assert CANARY in strings_in(exported.json())

    # CSV export: a download of data; the canary is a cell's text, every formula cell defused.
    table = await anonymous.get(f"/frameworks/{SLUG}/releases/latest.csv")
    assert table.headers["content-type"].startswith("text/csv")
    assert table.headers["content-disposition"].startswith("attachment")
    assert table.headers["x-content-type-options"] == "nosniff"
    rows = list(csv.reader(io.StringIO(table.text)))
    cells = [cell for row in rows for cell in row]
    assert CANARY in cells
    assert "'" + FORMULA in cells and FORMULA not in cells
    assert not [cell for cell in cells if cell.startswith(FORMULA_TRIGGERS)]

    # Markdown export: a viewer that renders raw HTML (CommonMark's default) shows the canary as text.
    document = await anonymous.get(f"/frameworks/{SLUG}/releases/latest.md")
    assert document.headers["content-type"].startswith("text/markdown")
    assert document.headers["content-disposition"].startswith("attachment")
    rendered = MarkdownIt("commonmark", {"html": True}).render(document.text)
    assert not unsafe_markup(rendered), unsafe_markup(rendered)
    assert rendered.count(html.escape(CANARY)) >= 6  # the release summary, and each text field of both
    assert EVALUATED not in html.unescape(rendered)

    assert site.requests > 200
    print(f"canary: {site.requests} requests; {len(seen.pages)} pages, {len(seen.json)} API answers checked")
