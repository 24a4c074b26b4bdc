"""Retries without duplicates (web/idempotency.py): a write sent again with the same Idempotency-Key
gets the first answer and changes nothing more; the same key with another body is a 422; pages'
forms are guarded by a hidden key. The host killed mid-request is tests/server/test_idempotency_live.py."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from proposals.reading import get_proposal
from proposals.roles import Actor, Role
from proposals.tables import ApiToken, Ballot, Comment, Proposal, ProposalRevision
from tests.api_client import Api
from tests.constants import AMENDMENT, PASSWORD, SLUG
from tests.proposals.browsing import amendment, group_for, person, sign_in
from tests.proposals.factories import in_vote, make_steward
from web.idempotency import fingerprint
from web.idempotent_requests import forget_old_requests
from web.tables import IdempotentRequest

pytestmark = pytest.mark.usefixtures("db")

KEY = "3f6c1b1e-6e0a-4c55-9d5e-retry-me"


def keyed(who: dict, key: str = KEY) -> dict:
    return {"Authorization": who["Authorization"], "Idempotency-Key": key}


async def proposal_of(api: Api, author: dict) -> int:
    created = await api.call("POST", f"/frameworks/{SLUG}/proposals", author, json=AMENDMENT)
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def test_a_retried_post_gets_the_first_answer_and_changes_nothing_more(client: httpx.AsyncClient):
    api = Api(client)
    author = await api.token("autrice@example.org")
    url = f"/api/v1/frameworks/{SLUG}/proposals"
    first = await client.post(url, headers=keyed(author), json=AMENDMENT)
    again = await client.post(url, headers=keyed(author), json=AMENDMENT)
    assert first.status_code == again.status_code == 201, again.text
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert await Proposal.count() == 1

    comments = f"/api/v1/proposals/{first.json()['id']}/comments"
    said = [await client.post(comments, headers=keyed(author, "c1"), json={"body": "Oui."}) for _ in range(3)]
    assert [answer.status_code for answer in said] == [201, 201, 201]
    assert said[2].json() == said[0].json()
    assert await Comment.count() == 1


async def test_the_same_key_with_another_body_is_refused(client: httpx.AsyncClient):
    api = Api(client)
    author = await api.token("autrice@example.org")
    pid = await proposal_of(api, author)
    url = f"/api/v1/proposals/{pid}/comments"
    assert (await client.post(url, headers=keyed(author), json={"body": "Oui."})).status_code == 201
    other = await client.post(url, headers=keyed(author), json={"body": "Non."})
    assert other.status_code == 422
    assert other.json()["detail"] == (
        "This Idempotency-Key was sent with another request: a new request needs a new key."
    )
    elsewhere = await client.post(
        f"/api/v1/proposals/{pid}/concerns", headers=keyed(author), json={"body": "Oui."}
    )
    assert elsewhere.status_code == 422
    assert await Comment.count() == 1


async def test_a_retried_put_and_patch_change_nothing_more(client: httpx.AsyncClient):
    api = Api(client)
    author = await api.token("autrice@example.org")
    pid = await proposal_of(api, author)
    revision = {"revision": 1, "title": "Dire la durée en mois, pas en semaines"}
    first = await client.patch(f"/api/v1/proposals/{pid}", headers=keyed(author, "p"), json=revision)
    again = await client.patch(f"/api/v1/proposals/{pid}", headers=keyed(author, "p"), json=revision)
    assert first.status_code == again.status_code == 200, first.text
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    assert await ProposalRevision.count() == 2  # the first version and one revision

    steward = await make_steward()
    voter = await api.token("membre@example.org", Role.member)
    await group_for(steward, ["REC"], Actor(id=voter["id"], role=Role.member, display_name="membre"))
    await in_vote(await get_proposal(pid), steward)
    url = f"/api/v1/proposals/{pid}/vote"
    ballot = {"choice": "for", "reason": "Clair."}
    first = await client.put(url, headers=keyed(voter, "v"), json=ballot)
    # Meanwhile the voter changes their mind, without a key: a retry of the first must not undo it.
    assert (
        await api.call("PUT", f"/proposals/{pid}/vote", voter, json={"choice": "against"})
    ).status_code == 200
    again = await client.put(url, headers=keyed(voter, "v"), json=ballot)
    assert first.status_code == again.status_code == 200 and again.json() == first.json()
    assert await Ballot.select(Ballot.choice).output(as_list=True) == ["against"]


async def test_requests_with_the_same_key_at_once_apply_it_once(client: httpx.AsyncClient):
    api = Api(client)
    author = await api.token("autrice@example.org")
    pid = await proposal_of(api, author)
    url = f"/api/v1/proposals/{pid}/comments"
    answers = await asyncio.gather(
        *(client.post(url, headers=keyed(author), json={"body": "Une fois."}) for _ in range(4))
    )
    assert await Comment.count() == 1
    # The first one ran it; each other waited for its answer, and got it.
    assert [answer.status_code for answer in answers] == [201] * 4
    assert all(answer.json() == answers[0].json() for answer in answers)
    assert sum("idempotent-replayed" not in answer.headers for answer in answers) == 1


async def test_a_key_still_running_elsewhere_is_waited_for_then_tried_again(client: httpx.AsyncClient):
    api = Api(client)
    author = await api.token("autrice@example.org")
    pid = await proposal_of(api, author)
    path = f"/proposals/{pid}/comments"
    url = f"/api/v1{path}"
    owner = f"account:{author['id']}"
    body = b'{"body": "En cours."}'
    headers = {**keyed(author), "Content-Type": "application/json"}
    # Another host holds the key and runs it: its lease is still valid.
    held = await _claim_of_another_host(owner, path, body, lease=timedelta(seconds=60))
    waited = await client.post(url, headers=headers, content=body)
    assert waited.status_code == 409 and waited.headers["retry-after"] == "1"
    assert "still running" in waited.json()["detail"]
    # That host died before applying it: once its lease is over, the retry runs it here.
    await IdempotentRequest.update({IdempotentRequest.lease_until: datetime.now(UTC)}).where(
        IdempotentRequest.id == held
    )
    taken = await client.post(url, headers=headers, content=body)
    assert taken.status_code == 201 and await Comment.count() == 1
    assert (await client.post(url, headers=headers, content=body)).json() == taken.json()
    # Applied, but its host died before its answer was kept: never run again.
    await IdempotentRequest.update({IdempotentRequest.applied: True, IdempotentRequest.status: None}).where(
        IdempotentRequest.id == held
    )
    lost = await client.post(url, headers=headers, content=body)
    assert lost.status_code == 409
    assert lost.json()["detail"] == (
        "This request was applied, but its answer was lost: do not send it again; read the result instead."
    )
    assert await Comment.count() == 1


async def _claim_of_another_host(owner: str, url: str, body: bytes, lease: timedelta) -> int:
    """The row a request running on another host has made."""
    scope = {"method": "POST", "path": f"/api/v1{url}", "query_string": b""}
    row = IdempotentRequest(
        owner=owner,
        key=KEY,
        fingerprint=fingerprint(scope, body),
        holder="another-host",
        lease_until=datetime.now(UTC) + lease,
        created_at=datetime.now(UTC),
    )
    await IdempotentRequest.insert(row)
    return row.id


async def test_a_malformed_key_is_refused_in_plain_words(client: httpx.AsyncClient):
    api = Api(client)
    author = await api.token("autrice@example.org")
    pid = await proposal_of(api, author)
    url = f"/api/v1/proposals/{pid}/comments"
    for key in (b"", b"k" * 256, "clé".encode("latin-1"), b"tab\there"):
        headers = {"Authorization": author["Authorization"], "Idempotency-Key": key}
        refused = await client.post(url, headers=headers, json={"body": "Oui."})
        assert refused.status_code == 400, key
        assert refused.json()["detail"] == (
            "The Idempotency-Key header must be 1 to 255 printable ASCII characters."
        )
    assert (
        await client.post(url, headers=keyed(author, "k" * 255), json={"body": "Oui."})
    ).status_code == 201
    assert await Comment.count() == 1


async def test_a_key_is_its_owners_own(client: httpx.AsyncClient):
    api = Api(client)
    one, two = await api.token("une@example.org"), await api.token("deux@example.org")
    pid = await proposal_of(api, one)
    url = f"/api/v1/proposals/{pid}/comments"
    for who in (one, two):
        assert (await client.post(url, headers=keyed(who), json={"body": "Oui."})).status_code == 201
    assert await Comment.count() == 2


async def test_answers_of_the_moment_are_not_kept_but_refusals_of_the_input_are(client: httpx.AsyncClient):
    api = Api(client)
    author = await api.token("autrice@example.org")
    pid = await proposal_of(api, author)
    url = f"/api/v1/proposals/{pid}/comments"
    empty = await client.post(url, headers=keyed(author, "empty"), json={"body": ""})
    again = await client.post(url, headers=keyed(author, "empty"), json={"body": ""})
    assert empty.status_code == again.status_code == 400 and again.headers["idempotent-replayed"] == "true"
    # Not signed in (401): the key is free again, and the same request with it, signed in, is applied.
    anonymous = await client.post(url, headers={"Idempotency-Key": KEY}, json={"body": "Oui."})
    assert anonymous.status_code == 401
    assert await IdempotentRequest.count().where(IdempotentRequest.key == KEY) == 0


async def test_a_new_token_is_never_shown_again(client: httpx.AsyncClient):
    api = Api(client)
    await api.token("autrice@example.org")
    ask = {"email": "autrice@example.org", "password": PASSWORD}
    first = await client.post("/api/v1/tokens", headers={"Idempotency-Key": "t"}, json=ask)
    again = await client.post("/api/v1/tokens", headers={"Idempotency-Key": "t"}, json=ask)
    assert first.status_code == 201 and again.status_code == 409
    assert first.json()["token"] not in again.text
    assert await ApiToken.count() == 2  # the one Api.token took, and this one


async def test_keys_are_kept_a_day_and_forgotten_after_two(client: httpx.AsyncClient):
    api = Api(client)
    author = await api.token("autrice@example.org")
    pid = await proposal_of(api, author)
    url = f"/api/v1/proposals/{pid}/comments"
    assert (await client.post(url, headers=keyed(author), json={"body": "Oui."})).status_code == 201
    row = IdempotentRequest.key == KEY
    await IdempotentRequest.update(
        {IdempotentRequest.created_at: datetime.now(UTC) - timedelta(hours=47)}
    ).where(row)
    await forget_old_requests()
    assert (await client.post(url, headers=keyed(author), json={"body": "Oui."})).headers[
        "idempotent-replayed"
    ]
    await IdempotentRequest.update(
        {IdempotentRequest.created_at: datetime.now(UTC) - timedelta(hours=49)}
    ).where(row)
    await forget_old_requests()
    assert await IdempotentRequest.count() == 0
    assert (await client.post(url, headers=keyed(author), json={"body": "Oui."})).status_code == 201
    assert await Comment.count() == 2


# --- pages' forms ---------------------------------------------------------------------------------


def form_fields(page: str, action: str) -> dict[str, str]:
    form = re.search(rf'<form[^>]*action="{re.escape(action)}".*?</form>', page, re.S).group(0)
    return dict(
        re.findall(r'<input type="hidden" name="(_csrf_token|_idempotency_key)" value="([^"]*)"', form)
    )


async def test_a_form_sent_twice_is_applied_once(client: httpx.AsyncClient):
    author = await person("autrice@example.org", "Autrice")
    view = await amendment(author, "Un énoncé plus clair.")
    await sign_in(client, "autrice@example.org")
    action = f"/proposals/{view}/comments"
    page = (await client.get(f"/proposals/{view}")).text
    fields = form_fields(page, action)
    assert len(fields["_idempotency_key"]) >= 16
    first = await client.post(action, data={**fields, "body": "Un avis."})
    again = await client.post(action, data={**fields, "body": "Un avis."})
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert await Comment.count() == 1
    # The back button gives the old key: the form changed and sent again is a new comment.
    changed = await client.post(action, data={**fields, "body": "Un autre avis."})
    assert changed.status_code == 303 and changed.headers["location"] != first.headers["location"]
    assert await Comment.count() == 2
    # Every showing of a form has its own key, on pages made for many viewers too.
    assert form_fields((await client.get(f"/proposals/{view}")).text, action)["_idempotency_key"] not in (
        fields["_idempotency_key"],
        form_fields((await client.get(f"/proposals/{view}")).text, action)["_idempotency_key"],
    )


async def test_a_form_whose_answer_was_lost_says_so_in_french(client: httpx.AsyncClient):
    author = await person("autrice@example.org", "Autrice")
    view = await amendment(author, "Un énoncé plus clair.")
    await sign_in(client, "autrice@example.org")
    action = f"/proposals/{view}/comments"
    fields = form_fields((await client.get(f"/proposals/{view}")).text, action)
    assert (await client.post(action, data={**fields, "body": "Un avis."})).status_code == 303
    await IdempotentRequest.update({IdempotentRequest.status: None}).where(IdempotentRequest.id > 0)
    lost = await client.post(action, data={**fields, "body": "Un avis."})
    assert lost.status_code == 409
    assert "Cette demande a été appliquée" in lost.text
    assert await Comment.count() == 1
