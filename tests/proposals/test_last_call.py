"""Last call: between discussion and vote, blocking concerns raised by the group's members and
answered in writing; the vote opens at the end only once every concern has its answer (both engines)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from proposals.last_call import (
    answer_concern,
    concerns_of,
    open_last_call,
    open_votes_after_last_call,
    raise_concern,
)
from proposals.proposing import revise_proposal, withdraw_proposal
from proposals.reading import get_proposal
from proposals.roles import Role
from proposals.rules import set_rule
from proposals.tables import AuditEntry
from proposals.voting import cast_vote, decide_proposal, open_vote
from tests.api_client import Api
from tests.constants import SLUG
from tests.proposals.browsing import post, sign_in, unescaped
from tests.proposals.factories import add_proposal, make_account, make_group, make_steward
from web.failures import Conflict, Forbidden, InvalidInput

pytestmark = pytest.mark.usefixtures("db")


async def in_last_call(days: int = 3):
    members = await make_group()
    steward = await make_steward()
    await set_rule(steward, SLUG, last_call_days=days)
    author = await make_account()
    proposal = await add_proposal(author)
    view = await open_last_call(steward, proposal.id)
    return members, steward, author, view


async def test_without_last_call_days_the_last_call_opens_the_vote_directly():
    await make_group()
    steward = await make_steward()
    proposal = await add_proposal(await make_account())
    view = await open_last_call(steward, proposal.id)
    assert (view.status, view.last_call_ends_at) == ("voting", None)


async def test_a_framework_with_a_last_call_holds_one_before_each_vote():
    members, steward, author, view = await in_last_call()
    assert view.status == "last_call"
    assert view.last_call_ends_at - view.updated_at == timedelta(days=3)
    other = await add_proposal(author, title="Autre")
    with pytest.raises(Conflict, match="holds a last call of 3 days before each vote"):
        await open_vote(steward, other.id)
    with pytest.raises(
        Forbidden,
        match="Only a steward, or the proposal's author after the discussion time, may open the last call",
    ):
        await open_last_call(members[0], other.id)
    with pytest.raises(Conflict, match="The minimum discussion time is not over"):
        await open_last_call(author, other.id)
    with pytest.raises(Conflict, match="a last call opens only on a proposal in discussion"):
        await open_last_call(steward, view.id)
    with pytest.raises(Conflict, match="only a proposal in discussion can be revised"):
        await revise_proposal(author, view.id, 1, title="Nouveau")
    with pytest.raises(Conflict, match="The vote is not open"):
        await cast_vote(members[0], view.id, "for")


async def test_concerns_block_the_vote_until_answered():
    members, steward, author, view = await in_last_call()
    with pytest.raises(Forbidden, match="Only members of the working group that decides"):
        await raise_concern(author, view.id, "Je ne suis pas membre.")
    with pytest.raises(InvalidInput, match="is empty"):
        await raise_concern(members[0], view.id, "  ")
    concern = await raise_concern(members[0], view.id, "Le **temps** demandé est-il réaliste ?")
    assert "<strong>temps</strong>" in concern.body_html and concern.answer is None
    with pytest.raises(
        Forbidden, match="Only a steward or above may open the vote before the end of the last call"
    ):
        await open_vote(author, view.id)
    with pytest.raises(Conflict, match="has no answer yet"):
        await open_vote(steward, view.id)
    # At the end of the last call, the vote waits for the answer.
    after = view.last_call_ends_at + timedelta(minutes=1)
    assert await open_votes_after_last_call(after) == 0
    assert (await get_proposal(view.id)).status == "last_call"
    with pytest.raises(Conflict, match="Concerns are raised during the last call"):
        await raise_concern(members[1], view.id, "Trop tard ?", now=after)
    with pytest.raises(Forbidden, match="Only the proposal's author or a steward may answer"):
        await answer_concern(members[1], concern.id, "Oui.")
    answered = await answer_concern(author, concern.id, "Oui : *4 heures* par mois.")
    assert answered.answered_by == author.display_name and "<em>4 heures</em>" in answered.answer_html
    with pytest.raises(Conflict, match="has an answer already"):
        await answer_concern(steward, concern.id, "Encore.")
    assert await open_votes_after_last_call(after) == 1
    voting = await get_proposal(view.id)
    assert voting.status == "voting"
    opened = await AuditEntry.select().where(AuditEntry.action == "vote.opened").first()
    assert opened["actor"] is None
    for member in members:
        await cast_vote(member, view.id, "for", now=after)
    await decide_proposal(steward, view.id, now=after)
    decided = (
        await AuditEntry.select()
        .where(AuditEntry.action == "proposal.decided")
        .output(load_json=True)
        .first()
    )
    assert decided["detail"]["concerns"] == [
        {
            "id": concern.id,
            "body": "Le **temps** demandé est-il réaliste ?",
            "answer": "Oui : *4 heures* par mois.",
        }
    ]
    assert [c.id for c in await concerns_of(view.id)] == [concern.id]


async def test_a_steward_opens_the_vote_early_once_every_concern_is_answered():
    members, steward, _author, view = await in_last_call()
    concern = await raise_concern(members[0], view.id, "Une objection.")
    await answer_concern(steward, concern.id, "Une réponse.")
    assert (await open_vote(steward, view.id)).status == "voting"


async def test_the_author_may_withdraw_during_the_last_call():
    _members, _steward, author, view = await in_last_call()
    assert (await withdraw_proposal(author, view.id)).status == "withdrawn"


async def test_last_call_through_the_api_and_the_page(client):
    api = Api(client)
    steward = await api.token("steward@example.org", Role.steward, "Sam")
    member = await api.token("member@example.org", Role.member, "Inès")
    author = await api.token("author@example.org", name="Awa")
    group = (
        await api.call(
            "POST", f"/frameworks/{SLUG}/working-groups", steward, json={"name": "GT", "themes": ["REC"]}
        )
    ).json()
    await api.call("PUT", f"/working-groups/{group['id']}/members/{member['id']}", steward)
    await api.call("PUT", f"/frameworks/{SLUG}/decision-rule", steward, json={"last_call_days": 2})
    body = {
        "kind": "amend",
        "base_version": "latest",
        "title": "Préciser",
        "rationale": "Plus clair.",
        "indicator": "REC-1",
        "content": {"statement": "Un énoncé neuf."},
    }
    pid = (await api.call("POST", f"/frameworks/{SLUG}/proposals", author, json=body)).json()["id"]
    refused = await api.call("POST", f"/proposals/{pid}/voting", steward)
    assert refused.status_code == 409 and "last call" in refused.json()["detail"]
    opened = await api.call("POST", f"/proposals/{pid}/last-call", steward)
    assert opened.status_code == 200 and opened.json()["status"] == "last_call" and opened.json()["ends_at"]
    assert (
        await api.call("POST", f"/proposals/{pid}/concerns", author, json={"body": "x"})
    ).status_code == 403
    raised = await api.call("POST", f"/proposals/{pid}/concerns", member, json={"body": "Et le temps ?"})
    assert raised.status_code == 201
    concern = raised.json()
    assert (concern["author"], concern["answer"]) == ("Inès", None)
    early = await api.call("POST", f"/proposals/{pid}/voting", steward)
    assert early.status_code == 409
    shown = (await api.call("GET", f"/proposals/{pid}")).json()
    assert shown["status"] == "last_call" and [c["id"] for c in shown["concerns"]] == [concern["id"]]
    # The page: the concern, and the author's form to answer it.
    await sign_in(client, "author@example.org")
    page = unescaped(await client.get(f"/proposals/{pid}"))
    assert "Et le temps ?" in page and f'action="/concerns/{concern["id"]}/answer"' in page
    answered = await post(client, f"/concerns/{concern['id']}/answer", {"body": "Quatre heures par mois."})
    assert answered.status_code == 303
    assert (await api.call("POST", f"/proposals/{pid}/voting", steward)).json()["status"] == "voting"
    page = unescaped(await client.get(f"/proposals/{pid}"))
    assert "Quatre heures par mois." in page
    missing = await api.call("POST", "/concerns/999/answer", steward, json={"body": "x"})
    assert missing.status_code == 404
