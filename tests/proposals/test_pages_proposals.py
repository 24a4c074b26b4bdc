"""The co-design loop through its HTML pages: forms with CSRF, 303 after each POST, errors beside
their form, and what each person sees (on both engines). The proposal form is tested in
test_pages_proposal_form.py, the list and every page's structure in test_pages_list.py."""

from __future__ import annotations

import html
import re

import pytest

from proposals.discussion import add_comment
from proposals.proposing import create_proposal
from proposals.roles import Actor, Role
from proposals.rules import set_rule
from proposals.tables import Proposal
from proposals.voting import cast_vote, decide_proposal, open_vote
from tests.constants import PASSWORD, SLUG
from tests.proposals.browsing import (
    amendment,
    content_form,
    csrf_of,
    group_for,
    indicator_text,
    person,
    post,
    sign_in,
    unescaped,
)

pytestmark = pytest.mark.usefixtures("db")


# --- the whole journey --------------------------------------------------------------------------


async def test_a_change_goes_from_the_proposal_form_to_a_new_release(client):
    await person("steward@example.org", "Stéphanie", Role.steward)
    member = await person("membre@example.org", "Mehdi")

    # A practitioner registers through the form, then proposes an amendment.
    form = await client.get("/register")
    registered = await client.post(
        "/register",
        data={
            "_csrf_token": csrf_of(form.text),
            "email": "autrice@example.org",
            "password": PASSWORD,
            "display_name": "Awa",
            "organisation": "Asso Mentorat",
        },
    )
    assert registered.status_code == 303
    await sign_in(client, "autrice@example.org")
    text = await indicator_text(client, "REC-1")
    page = await client.get("/proposals/new?kind=amend&indicator=REC-1")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.text.count("<h1") == 1
    # The form holds the indicator's current text, ready to be changed.
    assert html.escape(text["statement"]) in page.text
    assert 'name="base_version" value="1.0.0"' in page.text
    new_statement = text["statement"] + " Ils préparent aussi la fin de la relation."
    data = {
        "kind": "amend",
        "indicator": "REC-1",
        "base_version": "1.0.0",
        "title": "Parler de la fin de la relation dès le recrutement",
        "rationale": "Les fins **prématurées** font du tort.",
        **content_form(text, statement=new_statement),
    }

    preview = await post(client, "/proposals/preview", data)
    assert preview.status_code == 200
    assert "{+" in preview.text and "fin de la relation." in unescaped(preview)
    assert 'id="preview"' in preview.text
    assert await Proposal.count() == 0, "a preview stores nothing"

    created = await post(client, "/proposals", data)
    assert created.status_code == 303
    url = created.headers["location"]
    assert re.fullmatch(r"/proposals/\d+", url)
    page = await client.get(url)
    assert page.status_code == 200
    assert "Parler de la fin de la relation dès le recrutement" in page.text
    assert "En discussion" in page.text  # French by default
    assert "<strong>prématurées</strong>" in page.text  # the rationale's stored HTML
    assert "{+" in page.text and "Awa" in page.text and "Asso Mentorat" in page.text
    assert f'href="/frameworks/{SLUG}/releases/1.0.0"' in page.text

    # Comment, then reply.
    commented = await post(client, f"{url}/comments", {"body": "Je *soutiens* cette proposition."})
    assert commented.status_code == 303
    first = int(re.fullmatch(rf"{url}#comment-(\d+)", commented.headers["location"]).group(1))
    replied = await post(client, f"{url}/comments", {"body": "Moi aussi.", "reply_to": str(first)})
    assert replied.status_code == 303
    second = int(replied.headers["location"].rpartition("-")[2])
    page = (await client.get(url)).text
    assert f'class="comment depth-0" id="comment-{first}"' in page
    assert f'class="comment depth-1" id="comment-{second}"' in page
    assert "<em>soutiens</em>" in page

    # A steward sets up the working group through the steward pages, then opens the vote.
    await sign_in(client, "steward@example.org")
    created_group = await post(
        client, "/steward/working-groups", {"name": "GT Recrutement", "themes": ["REC", "FOR"]}
    )
    assert created_group.status_code == 303
    group_id = created_group.headers["location"].rpartition("group-")[2]
    groups_page = (await client.get("/steward/working-groups")).text
    assert "GT Recrutement" in groups_page and f'value="{member.id}"' in groups_page
    added = await post(client, f"/steward/working-groups/{group_id}/members", {"account": str(member.id)})
    assert added.status_code == 303
    assert "Mehdi" in (await client.get("/steward/working-groups")).text
    opened = await post(client, f"{url}/voting")
    assert opened.status_code == 303 and opened.headers["location"] == f"{url}#vote"
    page = (await client.get(url)).text
    assert "En cours de vote" in page
    assert 'id="form-vote"' not in page, "the steward is not a member of the group"
    assert 'id="form-decision"' in page

    # The member votes.
    await sign_in(client, "membre@example.org")
    page = (await client.get(url)).text
    assert 'id="form-vote"' in page
    voted = await post(client, f"{url}/vote", {"choice": "for", "reason": ""})
    assert voted.status_code == 303
    page = (await client.get(url)).text
    assert 'id="vote-for" name="choice" value="for" checked' in page
    assert 'id="tally"' not in page

    # The steward decides: a new release, with a changelog linking back to the proposal.
    await sign_in(client, "steward@example.org")
    decided = await post(client, f"{url}/decision")
    assert decided.status_code == 303
    page = (await client.get(url)).text
    assert "Acceptée" in page and 'id="tally"' in page
    assert f'href="/frameworks/{SLUG}/releases/1.1.0"' in page
    latest = await client.get(f"/frameworks/{SLUG}/releases/latest")
    assert latest.status_code == 200 and "1.1.0" in latest.text
    indicator = await client.get(f"/frameworks/{SLUG}/indicators/REC-1")
    assert "Ils préparent aussi la fin de la relation." in unescaped(indicator)
    releases = (await client.get(f"/frameworks/{SLUG}/releases")).text
    assert f'href="{url}"' in releases
    # Comments are closed once decided.
    late = await post(client, f"{url}/comments", {"body": "Trop tard ?"})
    assert late.status_code == 409 and 'id="form-comment"' not in late.text


# --- what the proposal page shows -------------------------------------------------------------


async def test_the_tally_stays_hidden_until_the_decision(client):
    steward = await person("steward@example.org", "Stéphanie", Role.steward)
    author = await person("autrice@example.org", "Awa")
    members = [await person(f"m{i}@example.org", f"Membre {i}") for i in range(3)]
    await group_for(steward, ["REC"], *members)
    proposal_id = await amendment(author, "Un nouvel énoncé.")
    await open_vote(steward, proposal_id)
    await cast_vote(members[0], proposal_id, "against", "Trop vague pour être mesuré")
    await cast_vote(members[1], proposal_id, "for")

    for email in (None, "steward@example.org", "m1@example.org", "autrice@example.org"):
        if email:
            await sign_in(client, email)
        else:
            client.cookies.clear()
        page = (await client.get(f"/proposals/{proposal_id}")).text
        assert 'id="tally"' not in page
        assert "Trop vague" not in page, "a reason against is published with the decision only"
        # How many voted and how many are needed, as numbers.
        assert re.search(r"<dt>Membres du groupe de travail</dt><dd>3</dd>", page)
        assert re.search(r"<dt>Membres ayant voté</dt><dd>2</dd>", page)
        assert re.search(r"<dt>Votes nécessaires au quorum</dt><dd>2</dd>", page)

    # The member who voted sees their own ballot, and may change it.
    await sign_in(client, "m0@example.org")
    page = unescaped(await client.get(f"/proposals/{proposal_id}"))
    assert 'id="vote-against" name="choice" value="against" checked' in page
    assert ">Trop vague pour être mesuré</textarea>" in page

    await decide_proposal(steward, proposal_id)
    page = unescaped(await client.get(f"/proposals/{proposal_id}"))
    assert 'id="tally"' in page
    assert "<dt>Pour</dt><dd>1</dd>" in page and "<dt>Contre</dt><dd>1</dd>" in page
    assert "Trop vague pour être mesuré" in page and "Membre 0" in page


async def test_a_hidden_comment_keeps_its_place_and_shows_why(client):
    await person("steward@example.org", "Stéphanie", Role.steward)
    author = await person("autrice@example.org", "Awa")
    proposal_id = await amendment(author, "Un nouvel énoncé.")
    comment = await add_comment(author, proposal_id, "Un commentaire **déplacé**.")

    await sign_in(client, "autrice@example.org")
    page = (await client.get(f"/proposals/{proposal_id}")).text
    assert f'action="/comments/{comment.id}/hiding"' not in page, "only stewards moderate"

    await sign_in(client, "steward@example.org")
    page = (await client.get(f"/proposals/{proposal_id}")).text
    assert f'action="/comments/{comment.id}/hiding"' in page
    empty = await post(
        client, f"/comments/{comment.id}/hiding", {"reason": " ", "proposal": str(proposal_id)}
    )
    assert empty.status_code == 400
    assert f'id="form-hide-{comment.id}"' in empty.text and 'aria-invalid="true"' in empty.text
    hidden = await post(
        client, f"/comments/{comment.id}/hiding", {"reason": "Hors sujet", "proposal": str(proposal_id)}
    )
    assert hidden.status_code == 303
    assert hidden.headers["location"] == f"/proposals/{proposal_id}#comment-{comment.id}"

    client.cookies.clear()
    page = (await client.get(f"/proposals/{proposal_id}")).text
    assert f'id="comment-{comment.id}"' in page
    assert "Masqué par <bdi>Stéphanie</bdi>" in page and "Hors sujet" in page
    assert "déplacé" not in page


async def test_a_stale_revision_gets_a_409_and_the_form_back(client):
    await person("autrice@example.org", "Awa")
    await sign_in(client, "autrice@example.org")
    author = Actor(1, Role.practitioner, "Awa")
    proposal_id = await amendment(author, "Un nouvel énoncé.")
    form = await client.get(f"/proposals/{proposal_id}/edit")
    assert form.status_code == 200
    assert 'name="expected_revision" value="1"' in form.text
    text = await indicator_text(client, "REC-1")
    data = {
        "expected_revision": "1",
        "title": "Un meilleur titre",
        "rationale": "Les *fins de relation* sont un risque.",
        **content_form(text, statement="Un nouvel énoncé."),
    }
    first = await post(client, f"/proposals/{proposal_id}/edit", data)
    assert first.status_code == 303 and first.headers["location"] == f"/proposals/{proposal_id}#revisions"

    # The same form sent again, written from revision 1, which is no longer the latest.
    second = await post(client, f"/proposals/{proposal_id}/edit", {**data, "title": "Un autre titre"})
    assert second.status_code == 409
    assert "a été révisée entre-temps" in second.text
    assert 'value="Un autre titre"' in second.text, "what the author typed is kept"
    assert f'href="/proposals/{proposal_id}/edit"' in second.text

    page = (await client.get(f"/proposals/{proposal_id}")).text
    assert 'id="revision-1"' in page and 'id="revision-2"' in page and 'id="revision-3"' not in page

    # Nobody else may revise it.
    await person("autre@example.org", "Autre")
    await sign_in(client, "autre@example.org")
    assert (await client.get(f"/proposals/{proposal_id}/edit")).status_code == 403
    refused = await post(client, f"/proposals/{proposal_id}/edit", {**data, "expected_revision": "2"})
    assert refused.status_code == 403


async def test_a_proposal_outrun_by_another_release_is_updated_by_its_author(client):
    steward = await person("steward@example.org", "Stéphanie", Role.steward)
    author = await person("autrice@example.org", "Awa")
    member = await person("membre@example.org", "Mehdi")
    await group_for(steward, ["REC"], member)
    first = await amendment(author, "Premier énoncé.", title="Première")
    second = await create_proposal(
        author,
        SLUG,
        "amend",
        "latest",
        "Seconde",
        "Mesurer.",
        indicator="REC-1",
        content={"measurement": "Part des supports qui citent la durée."},
    )
    await open_vote(steward, first)
    await cast_vote(member, first, "for")
    await open_vote(steward, second.id)
    await cast_vote(member, second.id, "for")
    await decide_proposal(steward, first)

    # Deciding the outrun proposal is refused; the steward sees why, beside the button.
    await sign_in(client, "steward@example.org")
    refused = await post(client, f"/proposals/{second.id}/decision")
    assert refused.status_code == 409
    assert 'id="form-decision-error"' in refused.text and "a changé depuis la rédaction" in refused.text
    assert 'id="form-rebase"' in refused.text

    # A second proposal in discussion, outrun too: its author updates it from the proposal page.
    third = await create_proposal(
        author,
        SLUG,
        "amend",
        "1.0.0",
        "Troisième",
        "Former.",
        indicator="REC-1",
        content={"title": "Nouveau"},
    )
    await sign_in(client, "autrice@example.org")
    page = (await client.get(f"/proposals/{third.id}")).text
    assert 'id="form-rebase"' in page and 'name="rebase" value="1"' in page
    rebased = await post(client, f"/proposals/{third.id}/edit", {"rebase": "1", "expected_revision": "1"})
    assert rebased.status_code == 303
    page = (await client.get(f"/proposals/{third.id}")).text
    assert 'id="form-rebase"' not in page
    assert f'href="/frameworks/{SLUG}/releases/1.1.0">1.1.0</a>' in page


async def test_the_vote_form_is_for_members_of_the_group_only(client):
    steward = await person("steward@example.org", "Stéphanie", Role.steward)
    author = await person("autrice@example.org", "Awa")
    member = await person("membre@example.org", "Mehdi")
    await group_for(steward, ["REC"], member)
    proposal_id = await amendment(author, "Un nouvel énoncé.")
    await open_vote(steward, proposal_id)

    await sign_in(client, "autrice@example.org")
    page = await client.get(f"/proposals/{proposal_id}")
    assert 'id="form-vote"' not in page.text and 'id="form-decision"' not in page.text
    refused = await post(client, f"/proposals/{proposal_id}/vote", {"choice": "for"})
    assert refused.status_code == 403
    assert "Seuls les membres du groupe de travail responsable de ce thème" in refused.text

    await sign_in(client, "membre@example.org")
    bad = await post(client, f"/proposals/{proposal_id}/vote", {"choice": "maybe"})
    assert bad.status_code == 400
    assert 'id="vote-choice-error"' in bad.text
    refused = await post(client, f"/proposals/{proposal_id}/decision")
    assert refused.status_code == 403 and 'id="form-decision-error"' not in refused.text


async def test_the_author_withdraws_and_may_not_open_the_vote_before_the_discussion_time(client):
    steward = await person("steward@example.org", "Stéphanie", Role.steward)
    author = await person("autrice@example.org", "Awa")
    member = await person("membre@example.org", "Mehdi")
    await group_for(steward, ["REC"], member)
    proposal_id = await amendment(author, "Un nouvel énoncé.")

    await sign_in(client, "autrice@example.org")
    page = (await client.get(f"/proposals/{proposal_id}")).text
    assert 'id="form-open-vote"' not in page and 'id="form-withdraw"' in page
    too_early = await post(client, f"/proposals/{proposal_id}/voting")
    assert too_early.status_code == 409 and 'id="form-open-vote"' not in too_early.text
    assert "La durée minimale de discussion n&#39;est pas écoulée" in too_early.text
    withdrawn = await post(client, f"/proposals/{proposal_id}/withdrawal")
    assert withdrawn.status_code == 303
    page = (await client.get(f"/proposals/{proposal_id}")).text
    assert "Retirée par" not in page and "Retirée" in page
    assert 'id="form-withdraw"' not in page and 'id="form-comment"' not in page
    again = await post(client, f"/proposals/{proposal_id}/withdrawal")
    assert again.status_code == 409


async def test_the_author_opens_the_vote_after_the_discussion_time(client):
    steward = await person("steward@example.org", "Stéphanie", Role.steward)
    author = await person("autrice@example.org", "Awa")
    member = await person("membre@example.org", "Mehdi")
    await group_for(steward, ["REC"], member)
    await set_rule(steward, SLUG, min_discussion_days=0)
    proposal_id = await amendment(author, "Un nouvel énoncé.")
    await sign_in(client, "autrice@example.org")
    page = (await client.get(f"/proposals/{proposal_id}")).text
    assert 'id="form-open-vote"' in page
    opened = await post(client, f"/proposals/{proposal_id}/voting")
    assert opened.status_code == 303
    page = (await client.get(f"/proposals/{proposal_id}")).text
    assert "En cours de vote" in page
    assert f'href="/proposals/{proposal_id}/edit"' not in page and 'id="form-withdraw"' in page
    # Revising is for proposals in discussion only.
    assert (await client.get(f"/proposals/{proposal_id}/edit")).status_code == 409
