"""The co-design loop through its HTML pages: forms with CSRF, 303 after each POST, errors beside
their form, and what each person sees (on both engines)."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from html.parser import HTMLParser

import httpx
import pytest

from proposals.accounts import register_account
from proposals.discussion import add_comment
from proposals.proposing import create_proposal
from proposals.roles import Actor, Role
from proposals.rules import set_rule
from proposals.tables import Proposal
from proposals.voting import cast_vote, decide_proposal, open_vote
from proposals.working_groups import add_member, create_working_group
from server.app import create_app
from server.settings import Settings

pytestmark = pytest.mark.usefixtures("db")

PASSWORD = "un mot de passe solide"
SLUG = "qualite-mentorat"
CONTENT = ("title", "statement", "rationale", "evidence_level", "measurement", "territorial_note")


def csrf_of(page: str) -> str:
    return re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)


async def sign_in(client: httpx.AsyncClient, email: str) -> None:
    """Signed in as `email` (and no one else): a fresh cookie jar, then the sign-in form."""
    client.cookies.clear()
    form = (await client.get("/sign-in")).text
    response = await client.post(
        "/sign-in", data={"_csrf_token": csrf_of(form), "email": email, "password": PASSWORD}
    )
    assert response.status_code == 303, response.text


async def token(client: httpx.AsyncClient) -> str:
    """The CSRF token of the client's cookie, as any form of the site carries it."""
    return csrf_of((await client.get("/sign-in")).text)


async def post(client: httpx.AsyncClient, url: str, data: dict | None = None) -> httpx.Response:
    return await client.post(url, data={"_csrf_token": await token(client), **(data or {})})


async def person(email: str, name: str, role: Role = Role.practitioner, organisation: str = "") -> Actor:
    account = await register_account(email, PASSWORD, name, organisation, role=role)
    return account.actor


async def indicator_text(client: httpx.AsyncClient, code: str) -> dict:
    release = (await client.get(f"/api/v1/frameworks/{SLUG}/releases/latest")).json()
    return next(i for theme in release["themes"] for i in theme["indicators"] if i["code"] == code)


def content_form(text: dict, **changes: str) -> dict:
    fields = {f"content_{name}": text.get(name) or "" for name in CONTENT}
    return {**fields, **{f"content_{name}": value for name, value in changes.items()}}


async def group_for(steward: Actor, themes: list[str], *members: Actor) -> int:
    group = await create_working_group(steward, SLUG, f"GT {'-'.join(themes)}", themes)
    for member in members:
        await add_member(steward, group.id, member.id)
    return group.id


async def amendment(author: Actor, statement: str, code: str = "REC-1", **extra) -> int:
    view = await create_proposal(
        author,
        SLUG,
        "amend",
        "latest",
        extra.pop("title", "Parler des fins de relation"),
        "Les *fins de relation* sont un risque.",
        indicator=code,
        content={"statement": statement},
        **extra,
    )
    return view.id


def unescaped(response: httpx.Response) -> str:
    return html.unescape(response.text)


class _Structure(HTMLParser):
    """What test_pages_are_well_formed checks: ids, labels, headings, inline code."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_targets: list[str] = []
        self.controls: list[str] = []
        self.h1 = 0
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag == "label" and "for" in attributes:
            self.label_targets.append(attributes["for"])
        if tag in ("input", "select", "textarea") and attributes.get("type") not in ("hidden", "submit"):
            self.controls.append(attributes.get("id") or f"<{tag} name={attributes.get('name')}> without id")
        if tag == "h1":
            self.h1 += 1
        if tag == "script" or "style" in attributes or any(name.startswith("on") for name in attributes):
            self.inline.append(tag)


def check_structure(page: str) -> None:
    """One h1, unique ids, every form control labelled, no inline script or style."""
    found = _Structure()
    found.feed(page)
    assert found.h1 == 1
    duplicates = {i for i in found.ids if found.ids.count(i) > 1}
    assert not duplicates, duplicates
    unlabelled = [c for c in found.controls if c not in found.label_targets]
    assert not unlabelled, unlabelled
    assert not found.inline


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
    assert "Masqué par Stéphanie" in page and "Hors sujet" in page
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


# --- the proposal form --------------------------------------------------------------------------


async def test_the_form_asks_to_sign_in_and_comes_back_with_its_query(client):
    response = await client.get("/proposals/new?kind=amend&indicator=REC-1")
    assert response.status_code == 303
    assert (
        response.headers["location"] == "/sign-in?next=%2Fproposals%2Fnew%3Fkind%3Damend%26indicator%3DREC-1"
    )
    page = (await client.get(response.headers["location"])).text
    assert 'name="next" value="/proposals/new?kind=amend&amp;indicator=REC-1"' in page


async def test_the_form_first_asks_what_to_change(client):
    await person("autrice@example.org", "Awa")
    await sign_in(client, "autrice@example.org")
    page = (await client.get("/proposals/new")).text
    assert 'method="get" action="/proposals/new"' in page and 'action="/proposals"' not in page
    assert '<option value="REC-1"' in page and '<option value="REC"' in page
    unknown = await client.get("/proposals/new?kind=amend&indicator=NOPE-9")
    assert unknown.status_code == 400 and 'aria-invalid="true"' in unknown.text
    retire = (await client.get("/proposals/new?kind=retire&indicator=REC-1")).text
    assert 'action="/proposals"' in retire and "content_statement" not in retire
    add = (await client.get("/proposals/new?kind=add&theme=REC")).text
    assert 'name="content_statement"' in add and 'name="theme" value="REC"' in add
    assert 'name="editorial"' not in add


async def test_an_addition_with_errors_comes_back_with_the_message(client):
    await person("autrice@example.org", "Awa")
    await sign_in(client, "autrice@example.org")
    data = {
        "kind": "add",
        "theme": "REC",
        "base_version": "1.0.0",
        "title": "Un nouvel indicateur",
        "rationale": "Il manque.",
        "content_title": "Les objectifs du binôme",
        "content_statement": "",
        "content_rationale": "Parce que.",
        "content_evidence_level": "practice",
        "content_measurement": "",
        "content_territorial_note": "",
    }
    for url in ("/proposals/preview", "/proposals"):
        response = await post(client, url, data)
        assert response.status_code == 400
        assert "« énoncé de l&#39;indicateur » est vide" in response.text
        assert 'value="Les objectifs du binôme"' in response.text, "what was typed is kept"
    assert await Proposal.count() == 0
    created = await post(
        client, "/proposals", {**data, "content_statement": "Le binôme se fixe des objectifs."}
    )
    assert created.status_code == 303
    page = (await client.get(created.headers["location"])).text
    assert "Ajout" in page and "Le binôme se fixe des objectifs." in page


async def test_every_form_route_refuses_a_post_without_csrf_token(client):
    await person("autrice@example.org", "Awa")
    await sign_in(client, "autrice@example.org")
    for url in (
        "/proposals",
        "/proposals/preview",
        "/proposals/1/comments",
        "/proposals/1/edit",
        "/proposals/1/withdrawal",
        "/proposals/1/voting",
        "/proposals/1/vote",
        "/proposals/1/decision",
        "/comments/1/hiding",
        "/steward/accounts/1/role",
        "/steward/working-groups",
        "/steward/working-groups/1/members",
        "/steward/working-groups/1/members/1/removal",
    ):
        assert (await client.post(url, data={"body": "x"})).status_code == 403, url


# --- the list -----------------------------------------------------------------------------------


async def test_the_list_filters_and_pages(client):
    empty = await client.get("/proposals")
    assert empty.status_code == 200 and 'class="empty"' in empty.text
    author = await person("autrice@example.org", "Awa", organisation="Asso")
    ids = [await amendment(author, f"Énoncé {n}.", title=f"Proposition {n}") for n in range(22)]
    steward = await person("steward@example.org", "Stéphanie", Role.steward)
    member = await person("membre@example.org", "Mehdi")
    await group_for(steward, ["REC"], member)
    await open_vote(steward, ids[0])

    first = (await client.get("/proposals")).text
    assert "22 propositions" in first
    assert 'href="/proposals?page=2"' in first and 'rel="prev"' not in first
    assert "Proposition 21" in first and "Proposition 0<" not in first
    second = (await client.get("/proposals?page=2")).text
    assert "Proposition 0<" in second and 'href="/proposals"' in second
    voting = (await client.get("/proposals?status=voting")).text
    assert "1 proposition" in voting and "Proposition 0<" in voting and "En cours de vote" in voting
    assert (await client.get("/proposals?theme=FOR")).text.count('class="empty"') == 1
    paged = (await client.get("/proposals?status=discussion&theme=REC")).text
    assert 'href="/proposals?status=discussion&amp;theme=REC&amp;page=2"' in paged
    assert (await client.get("/proposals?status=nonsense")).status_code == 400
    assert (await client.get("/proposals?page=0")).status_code == 400


async def test_pages_speak_english_when_asked(client):
    author = await person("autrice@example.org", "Awa")
    proposal_id = await amendment(author, "Un nouvel énoncé.")
    page = await client.get(f"/proposals/{proposal_id}", headers={"Accept-Language": "en"})
    assert "In discussion" in page.text and "The change" in page.text
    assert (await client.get("/proposals/999")).status_code == 404


async def test_pages_are_well_formed_for_everyone(client):
    """Every page of the loop, as each person sees it: one h1, labelled controls, unique ids."""
    steward = await person("steward@example.org", "Stéphanie", Role.steward)
    author = await person("autrice@example.org", "<b>Awa</b>", organisation="<i>Asso</i>")
    member = await person("membre@example.org", "Mehdi")
    await group_for(steward, ["REC"], member)
    discussed = await amendment(author, "Un énoncé <script>alert(1)</script>.")
    comment = await add_comment(author, discussed, "Premier <img src=x onerror=alert(1)>")
    await add_comment(member, discussed, "Réponse", comment.id)
    voting = await amendment(author, "Un autre énoncé.")
    await open_vote(steward, voting)
    await cast_vote(member, voting, "against", "Non <b>merci</b>")
    decided = await amendment(author, "Encore un autre.")
    await open_vote(steward, decided)
    await cast_vote(member, decided, "against", "Non")
    await decide_proposal(steward, decided)

    pages = [f"/proposals/{n}" for n in (discussed, voting, decided)]
    for email, extra in (
        (None, ["/proposals"]),
        (
            "autrice@example.org",
            [
                f"/proposals/{discussed}/edit",
                "/proposals/new",
                "/proposals/new?kind=amend&indicator=REC-1",
                "/proposals/new?kind=add&theme=REC",
                "/proposals/new?kind=retire&indicator=SEL-1",
            ],
        ),
        ("membre@example.org", []),
        (
            "steward@example.org",
            ["/steward", "/steward/accounts", "/steward/working-groups", "/steward/audit"],
        ),
    ):
        if email:
            await sign_in(client, email)
        else:
            client.cookies.clear()
        for url in pages + extra:
            response = await client.get(url)
            assert response.status_code == 200, url
            check_structure(response.text)
            # Nothing people typed becomes markup.
            assert "<script>alert" not in response.text and "<img src=x" not in response.text, url
            assert "<b>Awa</b>" not in response.text and "<b>merci</b>" not in response.text, url


async def test_a_decision_shows_the_new_release_at_once_in_this_worker(db):
    """The decision page calls release_published: the current release is not served stale."""
    steward = await person("steward@example.org", "Stéphanie", Role.steward)
    author = await person("autrice@example.org", "Awa")
    member = await person("membre@example.org", "Mehdi")
    await group_for(steward, ["REC"], member)
    proposal_id = await amendment(author, "Un énoncé tout neuf.")
    await open_vote(steward, proposal_id)
    await cast_vote(member, proposal_id, "for")

    app = create_app(replace(Settings.from_env(), latest_ttl_seconds=3600))
    for hook in app.on_startup:
        await hook()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
            before = await client.get(f"/frameworks/{SLUG}/releases/latest")
            assert "1.0.0" in before.text and "1.1.0" not in before.text
            await sign_in(client, "steward@example.org")
            assert (await post(client, f"/proposals/{proposal_id}/decision")).status_code == 303
            client.cookies.clear()
            after = await client.get(f"/frameworks/{SLUG}/releases/latest")
            assert "1.1.0" in after.text
            assert "Un énoncé tout neuf." in (await client.get(f"/frameworks/{SLUG}/indicators/REC-1")).text
    finally:
        for hook in app.on_shutdown:
            await hook()


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


async def test_a_form_without_its_indicator_says_what_is_missing(client):
    await person("autrice@example.org", "Awa")
    await sign_in(client, "autrice@example.org")
    response = await post(
        client, "/proposals", {"kind": "amend", "title": "T", "rationale": "R", "base_version": "1.0.0"}
    )
    assert response.status_code == 400
    assert 'class="error-summary"' in response.text
    assert 'method="get" action="/proposals/new"' in response.text
    assert (await client.get("/proposals/1/edit")).status_code == 404
    client.cookies.clear()
    assert (await client.get("/proposals/1/edit")).headers[
        "location"
    ] == "/sign-in?next=%2Fproposals%2F1%2Fedit"
