"""Territorial networks: a steward makes a local adaptation kept by a working group; proposals to it
(reword, not applicable here, a local indicator) go through the same loop, voted on by the network
only, and each accepted one publishes a new version of the adaptation; the network adopts a later
national release, which outruns the proposals written against the old one (on both engines)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from indicators.adaptations import get_adaptation
from indicators.publication import Change, ChangeKind, publish_release
from indicators.tables import AdaptationVersion, Framework
from indicators.versions import Bump
from proposals.networks import adopt_release, create_local_adaptation
from proposals.passwords import hash_password
from proposals.proposing import create_proposal, revise_proposal
from proposals.reading import get_proposal, list_proposals
from proposals.roles import Actor, Role
from proposals.serialize import decision_json
from proposals.tables import Account, AuditEntry, Proposal, WorkingGroup, WorkingGroupMember
from proposals.voting import (
    cast_vote,
    decide_proposal,
    open_vote,
    responsible_working_group,
    vote_status,
    voters_of,
)
from tests.api_client import Api
from tests.constants import PASSWORD, SLUG
from tests.proposals.browsing import post, sign_in
from tests.proposals.factories import (
    NEW_INDICATOR,
    in_vote,
    make_account,
    make_group,
    make_steward,
    release,
    voted,
)
from web.failures import Conflict, Forbidden, InvalidInput

pytestmark = pytest.mark.usefixtures("db")


async def bare_group(name: str, framework: int = 1) -> int:
    """A working group answering for no theme: a territorial network."""
    group = WorkingGroup(framework=framework, name=name, created_at=datetime.now(UTC))
    await WorkingGroup.insert(group)
    return group.id


async def make_network(size: int = 3, name: str = "Réseau Bretagne") -> tuple[int, list[Actor]]:
    """A territorial network with `size` members who may vote; returns its id and its members."""
    group_id = await bare_group(name)
    members = [await make_account(f"{name} {i}", Role.member) for i in range(1, size + 1)]
    await WorkingGroupMember.insert(
        *(WorkingGroupMember(working_group=group_id, account=m.id) for m in members)
    )
    return group_id, members


async def make_adaptation(group_id: int, steward: Actor | None = None, **territory: str) -> int:
    territory = territory or {"region": "53"}
    view = await create_local_adaptation(
        steward or await make_steward(), SLUG, "Bretagne rurale", "1.0.0", group_id, **territory
    )
    return view.id


def to_adaptation(adaptation_id: int, kind: str, **overrides) -> dict:
    """The arguments of create_proposal for one kind of proposal to an adaptation."""
    arguments = {
        "amend": {"indicator": "REC-1", "content": {"statement": "Les supports disent la durée en mois."}},
        "retire": {"indicator": "EVA-5"},
        "add": {"theme": "TER", "content": NEW_INDICATOR},
    }[kind]
    return {
        "framework_slug": None,
        "kind": kind,
        "base_version": "latest",
        "title": f"Localement : {kind}",
        "rationale": "Pas de transport en commun ici.",
        "adaptation_id": adaptation_id,
        **arguments,
        **overrides,
    }


async def national_release(code: str = "SEL-1") -> str:
    """A later national release (1.1.0) that amends one indicator."""
    framework_release = await release()
    text = framework_release.indicators()[code][1].text
    change = Change(
        ChangeKind.amend, code, replace(text, statement="Un énoncé national revu."), base_revision=1
    )
    published = await publish_release(SLUG, [change], Bump.minor, summary="Revue nationale")
    return published.version


# --- making an adaptation --------------------------------------------------------------------------


@pytest.fixture
async def api(client) -> Api:
    return Api(client)


async def test_a_steward_makes_an_adaptation_for_a_network(api: Api):
    steward = await api.token("steward@example.org", Role.steward)
    network = await bare_group("Réseau Bretagne")
    body = {"name": "Bretagne rurale", "region": "53", "base_version": "1.0.0", "working_group_id": network}
    created = await api.call("POST", f"/frameworks/{SLUG}/adaptations", steward, json=body)
    assert created.status_code == 201, created.text
    shape = created.json()
    assert shape["territory"] == {"region": "53", "name": "Bretagne"}
    assert (shape["name"], shape["base_version"], shape["version"]) == ("Bretagne rurale", "1.0.0", 0)
    assert shape["html_url"] == f"https://testserver/adaptations/{shape['id']}"
    entry = await AuditEntry.select().where(AuditEntry.action == "adaptation.created").output(load_json=True)
    assert [(e["actor"], e["target_type"], e["target_id"]) for e in entry] == [
        (steward["id"], "adaptation", shape["id"])
    ]
    assert entry[0]["detail"]["working_group"] == network
    view = await get_adaptation(shape["id"])
    assert (view.working_group, view.territory, view.department) == (network, "Bretagne", "")

    department = {**body, "region": None, "department": "29", "name": "Finistère"}
    by_department = await api.call("POST", f"/frameworks/{SLUG}/adaptations", steward, json=department)
    assert by_department.status_code == 201
    assert by_department.json()["territory"] == {"department": "29", "name": "Finistère"}


async def test_only_a_steward_makes_an_adaptation(api: Api):
    network = await bare_group("Réseau Bretagne")
    body = {"name": "Bretagne rurale", "region": "53", "base_version": "1.0.0", "working_group_id": network}
    assert (await api.call("POST", f"/frameworks/{SLUG}/adaptations", json=body)).status_code == 401
    for role in (Role.practitioner, Role.member):
        who = await api.token(f"{role.value}@example.org", role)
        refused = await api.call("POST", f"/frameworks/{SLUG}/adaptations", who, json=body)
        assert refused.status_code == 403, refused.text
    assert await AuditEntry.count().where(AuditEntry.action == "adaptation.created") == 0


@pytest.mark.parametrize(
    ("territory", "said"),
    [
        ({"region": "99"}, "is not a French region"),
        ({"department": "999"}, "is not a French department"),
        ({"region": "53", "department": "29"}, "give either a department or a region"),
        ({}, "give either a department or a region"),
        ({"region": ""}, "give either a department or a region"),
    ],
)
async def test_an_adaptation_is_for_one_known_territory(api: Api, territory: dict, said: str):
    steward = await api.token("steward@example.org", Role.steward)
    network = await bare_group("Réseau Bretagne")
    body = {"name": "Bretagne rurale", "base_version": "1.0.0", "working_group_id": network, **territory}
    refused = await api.call("POST", f"/frameworks/{SLUG}/adaptations", steward, json=body)
    assert refused.status_code == 400, refused.text
    assert said in refused.json()["detail"]


async def test_an_adaptation_is_kept_by_a_group_of_its_own_framework(api: Api):
    steward = await api.token("steward@example.org", Role.steward)
    body = {"name": "Bretagne rurale", "region": "53", "base_version": "1.0.0"}
    unknown = await api.call(
        "POST", f"/frameworks/{SLUG}/adaptations", steward, json={**body, "working_group_id": 9999}
    )
    assert unknown.status_code == 404 and "no working group number 9999" in unknown.json()["detail"]
    other = Framework(slug="autre-referentiel", title="Un autre référentiel", created_at=datetime.now(UTC))
    await Framework.insert(other)
    elsewhere = await bare_group("Réseau d'ailleurs", framework=other.id)
    refused = await api.call(
        "POST", f"/frameworks/{SLUG}/adaptations", steward, json={**body, "working_group_id": elsewhere}
    )
    assert refused.status_code == 409, refused.text
    assert "belongs to the framework 'autre-referentiel'" in refused.json()["detail"]
    network = await bare_group("Réseau Bretagne")
    no_framework = await api.call(
        "POST", "/frameworks/nope/adaptations", steward, json={**body, "working_group_id": network}
    )
    assert no_framework.status_code == 404
    no_release = await api.call(
        "POST",
        f"/frameworks/{SLUG}/adaptations",
        steward,
        json={**body, "working_group_id": network, "base_version": "9.0.0"},
    )
    assert no_release.status_code == 404


# --- proposing to an adaptation ----------------------------------------------------------------


async def test_a_network_member_proposes_each_kind_through_the_api(api: Api):
    steward = await api.token("steward@example.org", Role.steward)
    author = await api.token("membre@example.org", name="Maëlle")
    network = await bare_group("Réseau Bretagne")
    added = await api.call("PUT", f"/working-groups/{network}/members/{author['id']}", steward)
    assert added.status_code == 200
    adaptation_id = await make_adaptation(network)
    bodies = [
        {
            "kind": "amend",
            "base_version": "1.0.0",
            "indicator": "REC-1",
            "title": "Dire la durée en mois ici",
            "rationale": "Plus clair pour nos familles.",
            "content": {"statement": "Les supports disent la durée en mois."},
        },
        {
            "kind": "retire",
            "base_version": "latest",
            "indicator": "EVA-5",
            "title": "Pas ici",
            "rationale": "Non.",
        },
        {
            "kind": "add",
            "base_version": "latest",
            "theme": "TER",
            "title": "Le transport",
            "rationale": "Les distances.",
            "content": NEW_INDICATOR,
        },
    ]
    for body in bodies:
        created = await api.call("POST", f"/adaptations/{adaptation_id}/proposals", author, json=body)
        assert created.status_code == 201, created.text
        shape = created.json()
        assert (shape["status"], shape["kind"], shape["base_version"]) == (
            "discussion",
            body["kind"],
            "1.0.0",
        )
        assert shape["adaptation"] == {
            "id": adaptation_id,
            "name": "Bretagne rurale",
            "html_url": f"https://testserver/adaptations/{adaptation_id}",
        }
        assert shape["html_url"] == f"https://testserver/proposals/{shape['id']}"
        assert shape["stale"] is False
        read = (await api.call("GET", f"/proposals/{shape['id']}")).json()
        assert read["adaptation"] == shape["adaptation"]
    diff = next(change for change in shape["diff"] if change["field"] == "statement")
    assert diff["before"] is None and diff["after"] == NEW_INDICATOR["statement"]
    entry = await AuditEntry.select().where(AuditEntry.action == "proposal.created").output(load_json=True)
    assert [e["detail"]["adaptation"] for e in entry] == [adaptation_id] * 3

    other_base = await api.call(
        "POST", f"/adaptations/{adaptation_id}/proposals", author, json={**bodies[0], "base_version": "1.1.0"}
    )
    assert other_base.status_code == 409
    assert "adapts release 1.0.0, not 1.1.0" in other_base.json()["detail"]
    malformed = await api.call(
        "POST", f"/adaptations/{adaptation_id}/proposals", author, json={**bodies[0], "base_version": "un"}
    )
    assert malformed.status_code == 400
    unknown = await api.call("POST", "/adaptations/9999/proposals", author, json=bodies[0])
    assert unknown.status_code == 404
    assert (
        await api.call("POST", f"/adaptations/{adaptation_id}/proposals", json=bodies[0])
    ).status_code == 401
    framework_one = await api.call("GET", "/proposals")
    assert [item["adaptation"] is not None for item in framework_one.json()["items"]] == [True] * 3


async def test_the_list_is_filtered_by_adaptation():
    network, _members = await make_network()
    first, second = await make_adaptation(network), await make_adaptation(network, department="29")
    author = await make_account()
    mine = await create_proposal(author, **to_adaptation(first, "retire"))
    await create_proposal(author, **to_adaptation(second, "retire"))
    national = await create_proposal(
        author, SLUG, "retire", "latest", "Retirer EVA-5", "Redondant.", indicator="EVA-5"
    )
    assert [p.id for p in (await list_proposals(adaptation=first)).items] == [mine.id]
    assert (await list_proposals(adaptation=first)).items[0].adaptation.territory == "Bretagne"
    everything = (await list_proposals(SLUG)).items
    assert {p.id: p.adaptation is None for p in everything}[national.id] is True
    assert len(everything) == 3


async def test_a_framework_mismatch_is_refused():
    network, _members = await make_network()
    adaptation_id = await make_adaptation(network)
    with pytest.raises(InvalidInput, match="adapts the framework 'qualite-mentorat'"):
        await create_proposal(
            await make_account(), **to_adaptation(adaptation_id, "retire", framework_slug="x")
        )


# --- voting: the network, and only it ---------------------------------------------------------


async def test_only_the_network_votes_on_a_proposal_to_its_adaptation():
    national = await make_group(("REC",), size=3, name="GT Recrutement")
    network, members = await make_network(size=2)
    steward = await make_steward()
    adaptation_id = await make_adaptation(network, steward)
    proposal = await create_proposal(await make_account(), **to_adaptation(adaptation_id, "amend"))
    now = await in_vote(proposal, steward)
    with pytest.raises(Forbidden, match="Only members of the territorial network of this local adaptation"):
        await cast_vote(national[0], proposal.id, "for", now=now)
    await cast_vote(members[0], proposal.id, "for", now=now)
    status = await vote_status(proposal.id)
    assert (status.group_size, status.voted) == (2, 1)
    assert await voters_of(proposal.id) == tuple(sorted(m.id for m in members))
    assert (await responsible_working_group(proposal.id)).name == "Réseau Bretagne"
    opened = await AuditEntry.select().where(AuditEntry.action == "vote.opened").output(load_json=True)
    assert opened[0]["detail"]["working_group"] == network

    # A national proposal on the same indicator is still the theme's group's.
    national_proposal = await create_proposal(
        await make_account(),
        SLUG,
        "amend",
        "latest",
        "T",
        "R.",
        indicator="REC-1",
        content={"statement": "X."},
    )
    at = await in_vote(national_proposal, steward)
    with pytest.raises(Forbidden, match="working group responsible for this theme"):
        await cast_vote(members[0], national_proposal.id, "for", now=at)
    await cast_vote(national[0], national_proposal.id, "for", now=at)
    assert (await responsible_working_group(national_proposal.id)).name == "GT Recrutement"


async def test_a_network_without_voters_cannot_open_a_vote():
    network = await bare_group("Réseau vide")
    steward = await make_steward()
    adaptation_id = await make_adaptation(network, steward)
    proposal = await create_proposal(await make_account(), **to_adaptation(adaptation_id, "retire"))
    with pytest.raises(Conflict, match="territorial network of this local adaptation has no members"):
        await open_vote(steward, proposal.id)


# --- decisions: a new version of the adaptation ----------------------------------------------


async def test_accepted_proposals_publish_new_versions_of_the_adaptation():
    network, members = await make_network()
    steward = await make_steward()
    adaptation_id = await make_adaptation(network, steward)
    author = await make_account()
    national_before = (await release()).version
    expected = {
        "amend": ("REC-1", "reworded"),
        "retire": ("EVA-5", "not_applicable"),
        "add": ("TER-L1", "added"),
    }
    for number, kind in enumerate(("amend", "retire", "add"), start=1):
        proposal = await create_proposal(author, **to_adaptation(adaptation_id, kind))
        after = await voted(proposal, members, ["for"] * 3, steward)
        decision = await decide_proposal(None, proposal.id, now=after)
        assert (decision.status, decision.release_version) == ("accepted", None)
        assert (decision.adaptation_id, decision.adaptation_version) == (adaptation_id, number)
        view = await get_adaptation(adaptation_id)
        assert view.version == number
        change = next(c for c in view.changes if c.indicator == expected[kind][0])
        assert change.kind == expected[kind][1]
        assert change.reason == "Pas de transport en commun ici."
        read = await get_proposal(proposal.id)
        assert (read.status, read.release_version, read.stale) == ("accepted", None, False)
        assert await AdaptationVersion.exists().where(
            (AdaptationVersion.adaptation == adaptation_id) & (AdaptationVersion.proposal_id == proposal.id)
        )
        entry = (
            await AuditEntry.select()
            .where((AuditEntry.action == "proposal.decided") & (AuditEntry.target_id == proposal.id))
            .output(load_json=True)
            .first()
        )
        assert entry["detail"]["adaptation"] == {"id": adaptation_id, "version": number}
    reworded = next(c for c in view.changes if c.indicator == "REC-1")
    assert reworded.after.statement == "Les supports disent la durée en mois."
    assert reworded.before.statement != reworded.after.statement
    assert next(c for c in view.changes if c.indicator == "TER-L1").after.title == NEW_INDICATOR["title"]
    assert (await release()).version == national_before  # the national framework did not change
    assert decision_json(decision, "https://x") == {
        "status": "accepted",
        "tally": decision.tally,
        "release": None,
        "adaptation": {
            "id": adaptation_id,
            "version": 3,
            "html_url": f"https://x/adaptations/{adaptation_id}",
        },
    }


async def test_a_rejected_proposal_publishes_nothing():
    network, members = await make_network()
    steward = await make_steward()
    adaptation_id = await make_adaptation(network, steward)
    proposal = await create_proposal(await make_account(), **to_adaptation(adaptation_id, "retire"))
    after = await voted(proposal, members, ["for", "against", "against"], steward)
    decision = await decide_proposal(None, proposal.id, now=after)
    assert (decision.status, decision.adaptation_id, decision.adaptation_version) == (
        "rejected",
        adaptation_id,
        None,
    )
    assert (await get_adaptation(adaptation_id)).version == 0
    assert decision_json(decision, "")["adaptation"] == {
        "id": adaptation_id,
        "version": None,
        "html_url": f"/adaptations/{adaptation_id}",
    }


async def test_a_framework_decision_keeps_its_shape():
    members = await make_group(("REC",))
    steward = await make_steward()
    proposal = await create_proposal(
        await make_account(),
        SLUG,
        "amend",
        "latest",
        "T",
        "R.",
        indicator="REC-1",
        content={"statement": "X."},
    )
    decision = await decide_proposal(
        None, proposal.id, now=await voted(proposal, members, ["for"] * 3, steward)
    )
    assert set(decision_json(decision, "")) == {"status", "tally", "release"}
    assert (await get_proposal(proposal.id)).adaptation is None


async def test_a_proposal_outrun_by_an_adopted_release_cannot_be_accepted():
    network, members = await make_network()
    steward = await make_steward()
    adaptation_id = await make_adaptation(network, steward)
    author = await make_account()
    proposal = await create_proposal(author, **to_adaptation(adaptation_id, "amend"))
    after = await voted(proposal, members, ["for"] * 3, steward)
    assert await national_release() == "1.1.0"
    assert (await get_proposal(proposal.id)).stale is False  # the adaptation still adapts 1.0.0
    adopted = await adopt_release(members[0], adaptation_id, "1.1.0")
    assert (adopted.base_version, adopted.version) == ("1.1.0", 1)
    assert (await get_proposal(proposal.id)).stale is True
    assert [p.stale for p in (await list_proposals(adaptation=adaptation_id)).items] == [True]
    with pytest.raises(
        Conflict, match=r"now adapts release 1\.1\.0, and this proposal is written against release 1\.0\.0"
    ):
        await decide_proposal(None, proposal.id, now=after)
    assert (await get_proposal(proposal.id)).status == "voting"
    assert (await get_adaptation(adaptation_id)).version == 1  # only the adoption
    with pytest.raises(Conflict, match=r"adapts release 1\.1\.0, not 1\.0\.0"):
        await create_proposal(author, **to_adaptation(adaptation_id, "retire", base_version="1.0.0"))

    # Its author brings it onto the new base: a new discussion, then a vote that can accept it.
    rebased = await revise_proposal(author, proposal.id, 1, rebase=True)
    assert (rebased.status, rebased.base_version, rebased.stale) == ("discussion", "1.1.0", False)
    with pytest.raises(InvalidInput, match="This revision changes nothing"):
        await revise_proposal(author, proposal.id, 2, rebase=True)
    after = await voted(rebased, members, ["for"] * 3, steward)
    decision = await decide_proposal(steward, proposal.id, now=after)
    assert (decision.status, decision.adaptation_version) == ("accepted", 2)


async def test_a_rebase_during_the_vote_cancels_it():
    network, members = await make_network()
    steward = await make_steward()
    adaptation_id = await make_adaptation(network, steward)
    author = await make_account()
    proposal = await create_proposal(author, **to_adaptation(adaptation_id, "amend"))
    now = await in_vote(proposal, steward)
    await cast_vote(members[0], proposal.id, "for", now=now)
    # Not outrun: nothing to bring it onto, and its vote goes on.
    with pytest.raises(Conflict, match=r"still adapts release 1\.0\.0"):
        await revise_proposal(author, proposal.id, 1, content={"statement": "Autre."}, rebase=True)
    await national_release()
    await adopt_release(steward, adaptation_id, "latest")
    rebased = await revise_proposal(author, proposal.id, 1, rebase=True)
    assert (rebased.status, rebased.base_version) == ("discussion", "1.1.0")
    assert (await vote_status(proposal.id)).voted == 0


# --- adopting a national release -----------------------------------------------------------------


async def test_who_adopts_a_national_release(api: Api):
    steward = await api.token("steward@example.org", Role.steward)
    member = await api.token("membre@example.org")
    national_member = await api.token("national@example.org")
    practitioner = await api.token("personne@example.org")
    network = await bare_group("Réseau Bretagne")
    assert (
        await api.call("PUT", f"/working-groups/{network}/members/{member['id']}", steward)
    ).status_code == 200
    national = await api.call(
        "POST",
        f"/frameworks/{SLUG}/working-groups",
        steward,
        json={"name": "GT Sélection", "themes": ["SEL"]},
    )
    await api.call("PUT", f"/working-groups/{national.json()['id']}/members/{national_member['id']}", steward)
    adaptation_id = await make_adaptation(network)
    await national_release()
    path = f"/adaptations/{adaptation_id}/base"
    assert (await api.call("POST", path, json={"version": "1.1.0"})).status_code == 401
    for who in (national_member, practitioner):
        refused = await api.call("POST", path, who, json={"version": "1.1.0"})
        assert refused.status_code == 403, refused.text
        assert "member of the territorial network" in refused.json()["detail"]
    adopted = await api.call("POST", path, member, json={"version": "1.1.0"})
    assert adopted.status_code == 200, adopted.text
    assert (adopted.json()["base_version"], adopted.json()["version"]) == ("1.1.0", 1)
    again = await api.call("POST", path, steward, json={"version": "1.1.0"})
    assert again.status_code == 409
    unknown = await api.call("POST", path, steward, json={"version": "7.0.0"})
    assert unknown.status_code == 404
    assert (
        await api.call("POST", "/adaptations/9999/base", steward, json={"version": "1.1.0"})
    ).status_code == 404
    entries = (
        await AuditEntry.select().where(AuditEntry.action == "adaptation.base_adopted").output(load_json=True)
    )
    assert [(e["actor"], e["target_id"], e["detail"]) for e in entries] == [
        (member["id"], adaptation_id, {"from": "1.0.0", "to": "1.1.0", "version": 1})
    ]


# --- pages ------------------------------------------------------------------------------------


async def test_the_pages_to_propose_to_an_adaptation(client):
    network, members = await make_network()
    adaptation_id = await make_adaptation(network)
    form = f"/adaptations/{adaptation_id}/proposals"
    signed_out = await client.get(f"{form}/new")
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/sign-in?next=")
    await sign_in_as(client, members[0])
    client.headers["Accept-Language"] = "en"
    first = await client.get(f"{form}/new")
    assert first.status_code == 200
    assert f'action="{form}/new"' in first.text and "Declare an indicator not applicable here" in first.text
    assert "Bretagne rurale" in first.text and f'href="/adaptations/{adaptation_id}"' in first.text
    second = await client.get(f"{form}/new?kind=retire&indicator=EVA-5")
    assert f'action="{form}"' in second.text and f'formaction="{form}/preview"' in second.text
    assert 'name="base_version" value="1.0.0"' in second.text
    assert (await client.get("/adaptations/9999/proposals/new")).status_code == 404

    data = {"kind": "retire", "indicator": "EVA-5", "base_version": "1.0.0", "title": "Pas ici"}
    missing = await post(client, form, {**data, "rationale": ""})
    assert missing.status_code == 400 and f'action="{form}"' in missing.text
    preview = await post(client, f"{form}/preview", {**data, "rationale": "Aucune structure."})
    assert preview.status_code == 200 and 'id="preview"' in preview.text
    created = await post(client, form, {**data, "rationale": "Aucune structure."})
    assert created.status_code == 303, created.text
    proposal_id = int(created.headers["location"].rsplit("/", 1)[1])
    row = await Proposal.select(Proposal.adaptation, Proposal.kind).where(Proposal.id == proposal_id).first()
    assert row == {"adaptation": adaptation_id, "kind": "retire"}

    page = (await client.get(f"/proposals/{proposal_id}")).text
    assert "Proposal to the local adaptation" in page
    assert f'<a href="/adaptations/{adaptation_id}"><bdi>Bretagne rurale</bdi></a> (Bretagne)' in page
    national = await create_proposal(
        members[0], SLUG, "retire", "latest", "Retirer EVA-5", "Redondant.", indicator="EVA-5"
    )
    assert "Proposal to the local adaptation" not in (await client.get(f"/proposals/{national.id}")).text


async def test_the_form_is_in_french(client):
    network, members = await make_network()
    adaptation_id = await make_adaptation(network)
    await sign_in_as(client, members[0])
    page = (
        await client.get(f"/adaptations/{adaptation_id}/proposals/new", headers={"Accept-Language": "fr"})
    ).text
    assert "Déclarer un indicateur non applicable ici" in page


async def sign_in_as(client, actor: Actor) -> None:
    """Signed in as an account made by the factories (their password hash is not a real one)."""
    await Account.update({Account.password_hash: await hash_password(PASSWORD)}).where(Account.id == actor.id)
    email = (await Account.select(Account.email).where(Account.id == actor.id).first())["email"]
    await sign_in(client, email)
