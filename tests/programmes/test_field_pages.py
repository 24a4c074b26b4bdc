"""Field evidence on the indicator page and on the proposals about an indicator: hidden below the
threshold, shown once enough programmes submitted, the 'not applicable' reasons for working-group
members only; cached pages change when a submission changes the figures."""

from __future__ import annotations

from dataclasses import replace

from proposals.proposing import create_proposal
from proposals.roles import Role
from server.app import create_app
from server.settings import Settings
from tests.conftest import app_client
from tests.constants import SLUG
from tests.programmes.factories import make_programme, submitted_assessment
from tests.proposals.browsing import person, sign_in

REASON = "Pas de mentors bénévoles ici."
INDICATOR_PAGE = f"/frameworks/{SLUG}/releases/1.0.0/indicators/REC-1"


async def submissions(count: int) -> None:
    for number in range(count):
        admin = await person(f"admin{number}@example.org", f"Admin {number}")
        await submitted_assessment(admin, await make_programme(admin, f"P{number}"), REC_1="not_applicable")


async def test_the_indicator_page_shows_field_evidence_from_the_threshold_on(db: None):
    async with app_client(create_app(replace(Settings.from_env(), aggregate_min=2))) as client:
        before = (await client.get(INDICATOR_PAGE, headers={"Accept-Language": "en"})).text
        assert "Field evidence" in before and "2 more needed" in before
        await submissions(2)
        after = (await client.get(INDICATOR_PAGE, headers={"Accept-Language": "en"})).text
        assert "How the 2 programmes that submitted" in after
        assert REASON not in after  # never on the public indicator page


async def test_a_proposal_shows_the_reasons_to_working_group_members_only(db: None):
    async with app_client(create_app(replace(Settings.from_env(), aggregate_min=2))) as client:
        author = await person("author@example.org", "Autrice")
        await person("member@example.org", "Membre", Role.member)
        proposal = await create_proposal(
            author,
            SLUG,
            "retire",
            "latest",
            "Retirer REC-1",
            "Trop de structures ne l'appliquent pas.",
            indicator="REC-1",
        )
        await submissions(2)
        path = f"/proposals/{proposal.id}"
        assert REASON not in (await client.get(path)).text  # signed out
        await sign_in(client, "author@example.org")
        assert REASON not in (await client.get(path)).text  # a practitioner
        await sign_in(client, "member@example.org")
        assert (await client.get(path)).text.count(REASON) == 2
