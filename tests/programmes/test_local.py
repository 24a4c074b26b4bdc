"""Self-assessment against a territory's adaptation: the local texts are answered, what is not
applicable there is not asked, and the field evidence stays per national indicator."""

from __future__ import annotations

import pytest

from indicators.adaptations import create_adaptation, publish_adaptation_change
from programmes.assessments import read_assessment, start_assessment
from programmes.field import field_figures
from programmes.submission import start_successor, submit_assessment
from tests.api_client import Api
from tests.constants import SLUG
from tests.indicators.test_adaptations import ADDED, NOT_APPLICABLE, reworded
from tests.programmes.factories import answer_all, make_programme, releases
from tests.proposals.factories import make_account
from web.failures import Conflict, InvalidInput

RELEASE_ID = 1


async def adapted() -> int:
    adaptation_id = (await create_adaptation(SLUG, "Creuse solidaire", "latest", 7, department="23")).id
    for change in (await reworded("REC-1"), NOT_APPLICABLE, ADDED):
        await publish_adaptation_change(adaptation_id, change, proposal_id=None, summary="ok")
    return adaptation_id


async def test_an_assessment_reads_the_release_as_the_territory_does(db: None):
    admin = await make_account()
    programme_id = await make_programme(admin)
    adaptation_id = await adapted()
    assessment_id = await start_assessment(admin, programme_id, SLUG, "latest", releases(), adaptation_id)
    view = await read_assessment(admin, assessment_id, releases())
    codes = [a.indicator for a in view.answers]
    assert "REC-2" not in codes and "REC-L1" in codes and "REC-1" in codes
    assert view.local.version == 3 and view.local.not_applicable[0][0] == "REC-2"
    text = view.release.indicators()["REC-1"][1].text
    assert text.statement == "Les supports disent la durée en mois."
    await answer_all(admin, assessment_id, "exemplary")
    done = await submit_assessment(admin, assessment_id, releases(), 1)
    assert done.status == "submitted" and done.content_hash
    assert (await field_figures(RELEASE_ID, "REC-1", "", minimum=1)).counts["exemplary"] == 1
    assert not (await field_figures(RELEASE_ID, "REC-L1", "", minimum=1)).shown  # a local one: not counted
    # A newer version of the adaptation does not change what was assessed.
    await publish_adaptation_change(adaptation_id, await reworded("REC-3"), proposal_id=None, summary="ok")
    assert (await read_assessment(admin, assessment_id, releases())).local.version == 3
    successor = await start_successor(admin, assessment_id, "latest", releases())
    carried = await read_assessment(admin, successor, releases())
    assert carried.local.version == 4 and carried.local.adaptation == adaptation_id


async def test_an_adaptation_is_assessed_on_the_release_it_adapts(db: None):
    admin = await make_account()
    programme_id = await make_programme(admin)
    empty = (await create_adaptation(SLUG, "Vide", "latest", 7, region="94")).id
    with pytest.raises(Conflict):  # no version published yet
        await start_assessment(admin, programme_id, SLUG, "latest", releases(), empty)
    adaptation_id = await adapted()
    with pytest.raises(Conflict):
        await start_assessment(admin, programme_id, SLUG, "9.9.9", releases(), adaptation_id)
    for wrong in ("1", True, 0):
        with pytest.raises(InvalidInput):
            await start_assessment(admin, programme_id, SLUG, "latest", releases(), wrong)


async def test_the_api_says_which_adaptation_an_assessment_answers(client):
    api = Api(client)
    admin = await api.token("admin@example.org")
    adaptation_id = await adapted()
    programme_id = (
        await api.call("POST", "/programmes", admin, json={"name": "Creuse", "department": "23"})
    ).json()["id"]
    body = {"framework": SLUG, "adaptation": adaptation_id}
    started = await api.call("POST", f"/programmes/{programme_id}/assessments", admin, json=body)
    assert started.status_code == 201, started.text
    read = (await api.call("GET", f"/assessments/{started.json()['id']}", admin)).json()
    assert read["adaptation"]["id"] == adaptation_id and read["adaptation"]["version"] == 3
    assert read["not_applicable_here"] == [{"indicator": "REC-2", "reason": NOT_APPLICABLE.reason}]
    wrong = {"framework": SLUG, "adaptation": "1"}
    assert (
        await api.call("POST", f"/programmes/{programme_id}/assessments", admin, json=wrong)
    ).status_code == 400
