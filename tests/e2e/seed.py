"""What a journey finds in its database before the browser arrives, made through the domain.

Run in a subprocess on the journey's own SQLite file (Piccolo reads REFERENTIEL_DATABASE_URL once,
when it first makes its engine, so the test process cannot reach another database):

    REFERENTIEL_DATABASE_URL=sqlite:///… python -m tests.e2e.seed SCENARIO

It migrates, loads the starter framework (release 1.0.0), adds the scenario's accounts, working
group, proposals and comments, and prints what the journey needs (ids, emails) as JSON.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys

from indicators.publication import Change, ChangeKind, publish_release
from indicators.queries import find_release, get_framework, load_release
from indicators.versions import Bump
from proposals.accounts import register_account
from proposals.discussion import add_comment
from proposals.proposing import create_proposal
from proposals.roles import Actor, Role
from proposals.working_groups import add_member, create_working_group
from server import use_piccolo_conf
from server.bootstrap import bootstrap
from server.settings import Settings
from tests.constants import PASSWORD, SLUG
from web.database import pooled

STEWARD = "intendante@example.org"


async def person(email: str, name: str, role: Role = Role.practitioner, organisation: str = "") -> Actor:
    return (await register_account(email, PASSWORD, name, organisation, role=role)).actor


async def current_text(code: str):
    framework = await get_framework(SLUG)
    release = await load_release(framework, await find_release(framework, "latest"))
    return next(i.text for theme in release.themes for i in theme.indicators if i.code == code)


async def amendment_of_rec1(author: Actor, title: str) -> int:
    text = await current_text("REC-1")
    statement = text.statement + " Ils précisent aussi le temps à prévoir chaque mois."
    view = await create_proposal(
        author,
        SLUG,
        "amend",
        "latest",
        title,
        "Les candidats renoncent quand ils découvrent **tard** le temps demandé.",
        indicator="REC-1",
        content={"statement": statement},
    )
    return view.id


async def reading() -> dict:
    """A second release (1.1.0) amending REC-1, so that 1.0.0 is an older one."""
    text = await current_text("REC-1")
    amended = dataclasses.replace(
        text,
        title="Un message de recrutement honnête et chiffré",
        statement=text.statement + " La durée est donnée en mois.",
    )
    release = await publish_release(
        SLUG, [Change(ChangeKind.amend, "REC-1", amended)], Bump.minor, "REC-1 : la durée en mois"
    )
    return {"old": "1.0.0", "current": release.version}


async def proposing() -> dict:
    """Someone else who will comment on the practitioner's proposal (through the API, mid-journey)."""
    await person(STEWARD, "Intendante", Role.steward)
    await person("mehdi@example.org", "Mehdi", organisation="Mentorat Nord")
    return {"commenter": "mehdi@example.org"}


async def voting() -> dict:
    """A working group for REC with two members, and an amendment of REC-1 in discussion."""
    steward = await person(STEWARD, "Intendante", Role.steward)
    members = [
        await person("membre1@example.org", "Inès", Role.member, "Parrainage Sud"),
        await person("membre2@example.org", "Yanis", Role.member, "Tremplin Ouest"),
    ]
    group = await create_working_group(steward, SLUG, "GT Recrutement", ["REC"])
    for member in members:
        await add_member(steward, group.id, member.id)
    author = await person("autrice@example.org", "Awa", organisation="Asso Mentorat")
    proposal = await amendment_of_rec1(author, "Dire le temps à prévoir chaque mois")
    return {"proposal": proposal, "members": ["membre1@example.org", "membre2@example.org"]}


async def moderation() -> dict:
    """A proposal with an off-topic comment, and a practitioner about to join a working group."""
    await person(STEWARD, "Intendante", Role.steward)
    author = await person("autrice@example.org", "Awa", organisation="Asso Mentorat")
    heckler = await person("bruno@example.org", "Bruno")
    practitioner = await person("camille@example.org", "Camille", organisation="Parrainage Est")
    proposal = await amendment_of_rec1(author, "Dire le temps à prévoir chaque mois")
    await add_comment(author, proposal, "Nous l'avons essayé : les abandons ont baissé.")
    off_topic = await add_comment(heckler, proposal, "Achetez mes **formations** en ligne !")
    return {"proposal": proposal, "comment": off_topic.id, "practitioner": practitioner.id}


SCENARIOS = {"reading": reading, "proposing": proposing, "voting": voting, "moderation": moderation}


async def programmes() -> dict:
    """A practitioner who will create a programme and assess it (tests/e2e/test_programmes.py)."""
    await person("camille@example.org", "Camille", organisation="Parrainage Est")
    return {"person": "camille@example.org"}


async def new_release() -> dict:
    """Run mid-journey, on the served file: a release amending REC-1, retiring REC-4 and adding
    REC-5, published through the co-design loop (proposals, votes, decisions)."""
    from tests.programmes.factories import publish_changes

    return {"version": await publish_changes()}


SCENARIOS.update({"programmes": programmes, "new-release": new_release})


NETWORK = ["reseau1@example.org", "reseau2@example.org", "reseau3@example.org"]


async def territories() -> dict:
    """An amendment of REC-1 with five people from the Nord (59) taking part, the REC working group,
    and Corsica's territorial network (3 members, no theme) keeping an adaptation for region 94."""
    from proposals.networks import create_local_adaptation

    steward = await person(STEWARD, "Intendante", Role.steward)
    group = await create_working_group(steward, SLUG, "GT Recrutement", ["REC"])
    network = await create_working_group(steward, SLUG, "Réseau Corse", [])
    for email, name in (("membre1@example.org", "Inès"), ("membre2@example.org", "Yanis")):
        await add_member(steward, group.id, (await person(email, name, Role.member)).id)
    for number, email in enumerate(NETWORK, start=1):
        member = await register_account(email, PASSWORD, f"Corse {number}", role=Role.member, department="2B")
        await add_member(steward, network.id, member.actor.id)
    author = await register_account(
        "autrice@example.org", PASSWORD, "Awa", "Asso Mentorat", department="59", territory_kinds=["urban"]
    )
    proposal = await amendment_of_rec1(author.actor, "Dire le temps à prévoir chaque mois")
    for number in range(1, 5):
        nord = await register_account(
            f"nord{number}@example.org", PASSWORD, f"Nord {number}", department="59"
        )
        await add_comment(nord.actor, proposal, f"Vu dans le Nord, n° {number}.")
    adaptation = await create_local_adaptation(
        steward, SLUG, "Mentorat en Corse", "1.0.0", network.id, region="94"
    )
    return {"proposal": proposal, "adaptation": adaptation.id, "network": NETWORK}


async def network_decides() -> dict:
    """Run mid-journey: the open proposal to the adaptation is voted for by the 3 network members and
    decided after its vote closed (a new version of the adaptation)."""
    from proposals.accounts import authenticate
    from proposals.reading import get_proposal
    from proposals.tables import Proposal
    from proposals.voting import decide_proposal
    from tests.proposals.factories import voted

    steward = (await authenticate(STEWARD, PASSWORD)).actor
    members = [(await authenticate(email, PASSWORD)).actor for email in NETWORK]
    (row,) = await Proposal.select(Proposal.id).where(
        Proposal.adaptation.is_not_null() & (Proposal.status == "discussion")
    )
    after = await voted(await get_proposal(row["id"]), members, ["for"] * 3, steward)
    decision = await decide_proposal(None, row["id"], now=after)
    return {"decided": row["id"], "status": decision.status}


SCENARIOS.update({"territories": territories, "network-decides": network_decides})


PANEL = ["ines@example.org", "yanis@example.org", "chloe@example.org"]


async def delphi() -> dict:
    """The REC working group (3 members) and two proposals in discussion of its theme, for a Delphi
    process the steward opens in the browser."""
    steward = await person(STEWARD, "Intendante", Role.steward)
    group = await create_working_group(steward, SLUG, "GT Recrutement", ["REC"])
    for email, name in zip(PANEL, ("Inès", "Yanis", "Chloé"), strict=True):
        await add_member(steward, group.id, (await person(email, name, Role.member)).id)
    author = await person("autrice@example.org", "Awa", organisation="Asso Mentorat")
    first = await amendment_of_rec1(author, "Dire le temps à prévoir chaque mois")
    second = await create_proposal(
        author,
        SLUG,
        "add",
        "latest",
        "Un entretien de fin de parcours",
        "La fin du parcours se prépare.",
        theme="REC",
        content={
            "title": "Entretien de fin de parcours",
            "statement": "Chaque binôme a un entretien de fin de parcours.",
            "rationale": "Une fin préparée protège le mentoré.",
            "evidence_level": "practice",
        },
    )
    return {"group": group.id, "proposals": [first, second.id], "panel": PANEL}


SCENARIOS["delphi"] = delphi


async def notifications() -> dict:
    """Awa's proposal, commented on by two people: her notifications, dispatched."""
    from proposals.notifications import dispatch_events

    await person(STEWARD, "Intendante", Role.steward)
    author = await person("autrice@example.org", "Awa", organisation="Asso Mentorat")
    proposal = await amendment_of_rec1(author, "Dire le temps à prévoir chaque mois")
    for email, name in (("ines@example.org", "Inès"), ("yanis@example.org", "Yanis")):
        await add_comment(await person(email, name), proposal, f"Un avis de {name}.")
    while await dispatch_events():
        pass
    return {"proposal": proposal, "author": "autrice@example.org"}


SCENARIOS["notifications"] = notifications


async def main(scenario: str) -> dict:
    await bootstrap(Settings.from_env())
    return {"password": PASSWORD, "steward": STEWARD, **await SCENARIOS[scenario]()}


if __name__ == "__main__":
    use_piccolo_conf()
    print(json.dumps(asyncio.run(pooled(main(sys.argv[1])))))
