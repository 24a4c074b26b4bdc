"""Fields a client must not set (role, status, author, tallies, ids, timestamps, is_active, the revision
of a new proposal...) are refused by the API (400 naming the field) and ignored by the forms (which
read only their own fields), never applied: the rows are read back to check."""

from __future__ import annotations

import pytest

from proposals.tables import Account, Ballot, Comment, Proposal, WorkingGroup
from tests.constants import PASSWORD, SLUG
from tests.hostile.helpers import Site, make_steward, row_counts
from tests.hostile.world import AMENDMENT

CONTENT = ("title", "statement", "rationale", "evidence_level", "measurement", "territorial_note")
# What a client might try to set, with values that would matter if applied.
FORBIDDEN = {
    "id": 1,
    "role": "steward",
    "is_active": True,
    "status": "accepted",
    "author": 1,
    "author_id": 1,
    "voter": 1,
    "tally": {"for": 99, "against": 0, "abstain": 0},
    "tallies": {"for": 99},
    "revision": 7,
    "created_at": "2000-01-01T00:00:00Z",
    "updated_at": "2000-01-01T00:00:00Z",
    "decided_at": "2000-01-01T00:00:00Z",
    "closes_at": "2000-01-01T00:00:00Z",
    "release": "9.9.9",
    "password_hash": "x",
    "hidden_at": "2000-01-01T00:00:00Z",
    "hidden_by": 1,
    "framework": 2,
    "proposal": 1,
    "rationale_html": "<script>alert(1)</script>",
    "body_html": "<script>alert(1)</script>",
    "members": [1],
}


@pytest.fixture
async def people(site: Site) -> dict:
    steward_id = await site.register("steward@example.org", "Steward")
    await make_steward(steward_id)
    for email in ("author@example.org", "member@example.org", "other@example.org"):
        await site.register(email, email.split("@")[0])
    who = {
        name: await site.caller(f"{name}@example.org") for name in ("steward", "author", "member", "other")
    }
    group = await who["steward"].call(
        "POST", f"/frameworks/{SLUG}/working-groups", json={"name": "GT", "themes": ["REC"]}
    )
    who["group"] = group.json()["id"]
    await who["steward"].call("PUT", f"/working-groups/{who['group']}/members/{who['member'].id}")
    created = await who["author"].call("POST", f"/frameworks/{SLUG}/proposals", json=AMENDMENT)
    voted = await who["author"].call(
        "POST", f"/frameworks/{SLUG}/proposals", json={**AMENDMENT, "indicator": "REC-2"}
    )
    who["proposal"], who["voted"] = created.json()["id"], voted.json()["id"]
    await who["steward"].call("POST", f"/proposals/{who['voted']}/voting")
    comment = await who["member"].call(
        "POST", f"/proposals/{who['proposal']}/comments", json={"body": "Oui."}
    )
    who["comment"] = comment.json()["id"]
    return who


async def snapshot() -> dict:
    """What a forbidden field could change: every account, proposal, comment, ballot and group."""
    return {
        "accounts": await Account.select(Account.id, Account.role, Account.is_active).order_by(Account.id),
        "proposals": await Proposal.select(
            Proposal.id, Proposal.status, Proposal.author, Proposal.revision, Proposal.tally, Proposal.title
        ).order_by(Proposal.id),
        "comments": await Comment.select(Comment.id, Comment.author, Comment.hidden_at).order_by(Comment.id),
        "ballots": await Ballot.select(Ballot.voter, Ballot.choice).order_by(Ballot.id),
        "groups": await WorkingGroup.select(WorkingGroup.id, WorkingGroup.name).order_by(WorkingGroup.id),
        "rows": await row_counts(),
    }


async def test_the_api_refuses_fields_a_client_must_not_set(site: Site, people: dict):
    steward, author, member, other = (people[name] for name in ("steward", "author", "member", "other"))
    pid, voted = people["proposal"], people["voted"]
    bodies = [
        (
            other,
            "POST",
            "/accounts",
            {"email": "new@example.org", "password": PASSWORD, "display_name": "New"},
        ),
        (other, "POST", "/tokens", {"email": "other@example.org", "password": PASSWORD}),
        (steward, "PATCH", f"/accounts/{other.id}", {"role": "member"}),
        (steward, "POST", f"/frameworks/{SLUG}/working-groups", {"name": "GT2", "themes": ["SEL"]}),
        (steward, "PUT", f"/frameworks/{SLUG}/decision-rule", {"quorum": "1/2"}),
        (author, "POST", f"/frameworks/{SLUG}/proposals", {**AMENDMENT, "indicator": "REC-3"}),
        (author, "PATCH", f"/proposals/{pid}", {"revision": 1, "title": "Autre"}),
        (other, "POST", f"/proposals/{pid}/comments", {"body": "Bien."}),
        (steward, "POST", f"/comments/{people['comment']}/hiding", {"reason": "Hors sujet."}),
        (member, "PUT", f"/proposals/{voted}/vote", {"choice": "for"}),
    ]
    before = await snapshot()
    refused = 0
    for caller, method, path, body in bodies:
        for field, value in FORBIDDEN.items():
            if field in body or (field == "revision" and method == "PATCH"):
                continue  # a field this body takes (the expected revision of a PATCH)
            if (field, path) in (("role", f"/accounts/{other.id}"), ("is_active", f"/accounts/{other.id}")):
                continue  # a steward may grant roles and deactivate accounts: tested below
            response = await caller.call(method, path, json={**body, field: value})
            assert response.status_code == 400, (method, path, field, response.text)
            assert field in response.json()["detail"], (field, response.json()["detail"])
            refused += 1
        # Inside a proposal's content too.
        if "content" in body:
            for field in ("revision", "status", "author", "code", "indicator", "title_en"):
                response = await caller.call(
                    method, path, json={**body, "content": {**body["content"], field: "x"}}
                )
                assert response.status_code == 400, (path, field, response.text)
                assert field in response.json()["detail"]
                refused += 1
    assert await snapshot() == before
    print(f"API mass assignment: {refused} requests, {refused} refused")


async def test_only_a_steward_grants_roles_and_activates(site: Site, people: dict):
    other, author = people["other"], people["author"]
    before = await snapshot()
    for caller, target in ((other, other.id), (other, author.id), (author, other.id)):
        for body in ({"role": "steward"}, {"role": "member"}, {"is_active": True}, {"is_active": False}):
            response = await caller.call("PATCH", f"/accounts/{target}", json=body)
            assert response.status_code == 403, response.text
            assert response.json()["detail"]
    assert await snapshot() == before
    me = (await other.call("GET", "/accounts/me")).json()
    assert me["role"] == "practitioner"


async def test_forms_ignore_fields_they_do_not_show(site: Site, people: dict):
    """Extra fields posted with a form change nothing beyond what the form is for."""
    steward_id = people["steward"].id
    extra = {
        "id": "1",
        "role": "steward",
        "is_active": "0",
        "status": "accepted",
        "author": str(steward_id),
        "author_id": str(steward_id),
        "voter": str(steward_id),
        "revision": "7",
        "tally": '{"for": 99}',
        "created_at": "2000-01-01",
        "decided_at": "2000-01-01",
        "hidden_at": "2000-01-01",
        "hidden_by": str(steward_id),
        "release": "9.9.9",
        "rationale_html": "<script>alert(1)</script>",
        "body_html": "<script>alert(1)</script>",
        "password_hash": "x",
    }
    # Registration: a practitioner, active, with a new id.
    newcomer = site.browser()
    registered = await newcomer.post(
        "/register",
        {**extra, "email": "newcomer@example.org", "password": PASSWORD, "display_name": "Newcomer"},
    )
    assert registered.status_code == 303, registered.text
    account = await Account.select().where(Account.email == "newcomer@example.org").first()
    assert account["role"] == "practitioner" and account["is_active"] and account["id"] != 1
    assert account["password_hash"] != "x"
    await newcomer.sign_in("newcomer@example.org")
    assert (await newcomer.get("/steward")).status_code == 403

    # A proposal: in discussion, by its poster, revision 1, no tally.
    author = site.browser()
    await author.sign_in("author@example.org")
    author_id = people["author"].id
    release = (await site.client.get(f"/api/v1/frameworks/{SLUG}/releases/latest")).json()
    text = next(i for theme in release["themes"] for i in theme["indicators"] if i["code"] == "REC-3")
    content = {f"content_{name}": text[name] or "" for name in CONTENT}
    content["content_statement"] = "Un nouvel énoncé."
    created = await author.post(
        "/proposals",
        {
            **extra,
            "kind": "amend",
            "indicator": "REC-3",
            "base_version": "latest",
            "title": "Titre",
            "rationale": "Pourquoi.",
            **content,
        },
    )
    assert created.status_code == 303, created.text
    new_id = int(created.headers["location"].rsplit("/", 1)[1])
    row = await Proposal.select().where(Proposal.id == new_id).first()
    assert (row["status"], row["author"], row["revision"], row["tally"], row["release"]) == (
        "discussion",
        author_id,
        1,
        None,
        None,
    )
    assert "<script>" not in row["rationale_html"]

    # A revision: the next revision number, still in discussion, same author.
    revised = await author.post(
        f"/proposals/{new_id}/edit",
        {
            **extra,
            "expected_revision": "1",
            "title": "Titre revu",
            "rationale": "Pourquoi.",
            **content,
        },
    )
    assert revised.status_code == 303, revised.text
    row = await Proposal.select().where(Proposal.id == new_id).first()
    assert (row["status"], row["author"], row["revision"], row["title"]) == (
        "discussion",
        author_id,
        2,
        "Titre revu",
    )

    # A comment: by its poster, on the proposal of the address, not hidden.
    commented = await author.post(
        f"/proposals/{new_id}/comments", {**extra, "body": "Un avis.", "proposal": "1"}
    )
    assert commented.status_code == 303, commented.text
    comment = await Comment.select().order_by(Comment.id, ascending=False).first()
    assert (comment["author"], comment["proposal"], comment["hidden_at"]) == (author_id, new_id, None)
    assert "<script>" not in comment["body_html"]

    # A vote: the member's own ballot, the proposal still being voted on.
    member = site.browser()
    await member.sign_in("member@example.org")
    voted = await member.post(
        f"/proposals/{people['voted']}/vote", {**extra, "choice": "against", "reason": "Non."}
    )
    assert voted.status_code == 303, voted.text
    ballots = await Ballot.select(Ballot.voter, Ballot.choice, Ballot.proposal)
    assert ballots == [{"voter": people["member"].id, "choice": "against", "proposal": people["voted"]}]
    row = await Proposal.select(Proposal.status, Proposal.tally).where(Proposal.id == people["voted"]).first()
    assert row == {"status": "voting", "tally": None}

    # The sign-in and password forms grant nothing.
    other = site.browser()
    signed = await other.post("/sign-in", {**extra, "email": "other@example.org", "password": PASSWORD})
    assert signed.status_code == 303
    assert (await other.get("/steward")).status_code == 403
    account = (
        await Account.select(Account.role, Account.is_active).where(Account.id == people["other"].id).first()
    )
    assert account == {"role": "practitioner", "is_active": True}

    # A working group made by a steward: no members or id from the form.
    steward = site.browser()
    await steward.sign_in("steward@example.org")
    made = await steward.post(
        "/steward/working-groups",
        [*extra.items(), ("name", "GT3"), ("themes", "SEL"), ("members", str(author_id))],
    )
    assert made.status_code == 303, made.text
    group = await WorkingGroup.select().where(WorkingGroup.name == "GT3").first()
    assert group["id"] != 1
    info = (await people["steward"].call("GET", "/accounts/me")).json()
    assert info["role"] == "steward"
    author_groups = (await people["author"].call("GET", "/accounts/me")).json()["working_groups"]
    assert author_groups == []
