"""Field evidence: counted at submission, shown only above the threshold, never narrowed below it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from programmes.assessments import start_assessment
from programmes.field import field_figures
from programmes.submission import start_successor, submit_assessment
from programmes.tables import Answer, Assessment
from proposals.roles import Role
from server.app import create_app
from server.settings import Settings
from tests.api_client import Api
from tests.conftest import app_client
from tests.constants import SLUG
from tests.programmes.factories import answer_all, make_programme, releases, submitted_assessment
from tests.proposals.factories import make_account

RELEASE_ID = 1  # the starter release


async def programmes_submitting(count: int, kinds=("urban",), level="in_place", **per_code) -> list[int]:
    found = []
    for number in range(count):
        admin = await make_account()
        programme_id = await make_programme(admin, f"Programme {number}", kinds)
        found.append(await submitted_assessment(admin, programme_id, level, **per_code))
    return found


async def test_figures_are_shown_from_the_threshold_on(db: None):
    await programmes_submitting(2, level="in_place")
    below = await field_figures(RELEASE_ID, "REC-1", "", minimum=3)
    assert (below.shown, below.needed, below.counts) == (False, 1, {})
    await programmes_submitting(1, REC_1="not_applicable")
    shown = await field_figures(RELEASE_ID, "REC-1", "", minimum=3)
    assert shown.shown and shown.programmes == 3
    assert shown.counts == {
        "not_started": 0,
        "in_progress": 0,
        "in_place": 2,
        "exemplary": 0,
        "not_applicable": 1,
    }
    assert shown.reasons == ("Pas de mentors bénévoles ici.",)


async def test_a_programme_counts_once_with_its_latest_submission(db: None):
    admin = await make_account()
    programme_id = await make_programme(admin)
    first = await submitted_assessment(admin, programme_id, "in_progress")
    again = await start_successor(admin, first, "latest", releases())  # the same release
    await answer_all(admin, again, "exemplary")
    await submit_assessment(admin, again, releases(), 1)
    figures = await field_figures(RELEASE_ID, "REC-1", "", minimum=1)
    assert figures.programmes == 1 and figures.counts["exemplary"] == 1 and figures.counts["in_progress"] == 0


async def test_drafts_never_count(db: None):
    await programmes_submitting(2)
    admin = await make_account()
    draft = await start_assessment(admin, await make_programme(admin), SLUG, "latest", releases())
    await answer_all(admin, draft, "exemplary")  # complete, never submitted
    await programmes_submitting(1)
    figures = await field_figures(RELEASE_ID, "REC-1", "", minimum=1)
    assert figures.programmes == 3 and figures.counts["exemplary"] == 0


async def test_a_submitted_assessment_is_frozen_in_the_database_too(db: None):
    (assessment_id,) = await programmes_submitting(1)
    with pytest.raises(Exception, match="frozen"):
        await Answer.update({Answer.level: "exemplary"}).where(Answer.assessment == assessment_id)
    with pytest.raises(Exception, match="frozen"):
        await Assessment.update({Assessment.status: "draft"}).where(Assessment.id == assessment_id)
    with pytest.raises(Exception, match="frozen"):  # nor is an answer added
        await Answer.insert(
            Answer(
                assessment=assessment_id,
                indicator_code="NEW-1",
                revision=1,
                level="in_place",
                updated_at=datetime.now(UTC),
            )
        )


async def test_a_kind_of_territory_never_narrows_below_the_threshold_nor_leaves_a_small_rest(db: None):
    await programmes_submitting(3, kinds=("rural",))
    await programmes_submitting(1, kinds=("urban",))
    assert (await field_figures(RELEASE_ID, "REC-1", "", minimum=3)).shown
    rural = await field_figures(RELEASE_ID, "REC-1", "rural", minimum=3)
    assert not rural.shown  # 4 - 3 = 1 urban programme would be singled out by subtraction
    assert not (await field_figures(RELEASE_ID, "REC-1", "urban", minimum=3)).shown
    await programmes_submitting(2, kinds=("urban",))
    assert (await field_figures(RELEASE_ID, "REC-1", "rural", minimum=3)).shown
    assert (await field_figures(RELEASE_ID, "REC-1", "urban", minimum=3)).shown


async def test_the_api_shows_reasons_to_working_group_members_only(db: None):
    async with app_client(create_app(replace(Settings.from_env(), aggregate_min=2))) as client:
        await reasons_for_members_only(Api(client))


async def reasons_for_members_only(api: Api) -> None:
    path = f"/frameworks/{SLUG}/releases/1.0.0/indicators/REC-1/field"
    assert (await api.call("GET", path)).json() == {"shown": False, "needed": 2}
    await programmes_submitting(2, REC_1="not_applicable")
    public = (await api.call("GET", path)).json()
    assert public["shown"] and public["programmes"] == 2 and public["counts"]["not_applicable"] == 2
    assert public["not_applicable_reasons"] == []
    member = await api.token("membre@example.org", Role.member)
    reviewed = (await api.call("GET", path, member)).json()
    assert reviewed["not_applicable_reasons"] == ["Pas de mentors bénévoles ici."] * 2
    for bad in ("territory_kind=forest", "kind=rural"):
        assert (await api.call("GET", f"{path}?{bad}")).status_code == 400
    assert (
        await api.call("GET", f"/frameworks/{SLUG}/releases/1.0.0/indicators/NOPE-1/field")
    ).status_code == 404


@pytest.mark.parametrize("count", [0])
async def test_an_empty_release_needs_the_whole_threshold(db: None, count: int):
    assert (await field_figures(RELEASE_ID, "REC-1", "", minimum=10)).needed == 10 - count


async def programmes_of_one_person(count: int, minimum: int) -> None:
    admin = await make_account()
    for number in range(count):
        programme_id = await make_programme(admin, f"Mine {number}")
        await submitted_assessment(admin, programme_id, aggregate_min=minimum)


async def test_one_person_making_several_programmes_is_one_voice(db: None):
    await programmes_of_one_person(3, minimum=3)
    figures = await field_figures(RELEASE_ID, "REC-1", "", minimum=3)
    assert not figures.shown and figures.needed == 2


async def test_figures_move_only_once_enough_new_submissions_arrived(db: None):
    async def submit(level: str) -> None:
        admin = await make_account()
        await submitted_assessment(admin, await make_programme(admin), level, aggregate_min=3)

    for _ in range(3):
        await submit("in_place")
    first = await field_figures(RELEASE_ID, "REC-1", "", minimum=3)
    assert first.shown and first.programmes == 3
    await submit("exemplary")  # one more: the figures would tell its answer
    assert await field_figures(RELEASE_ID, "REC-1", "", minimum=3) == first
    await submit("exemplary")
    await submit("exemplary")
    moved = await field_figures(RELEASE_ID, "REC-1", "", minimum=3)
    assert moved.programmes == 6 and moved.counts["exemplary"] == 3


async def test_overlapping_kinds_never_isolate_a_programme(db: None):
    async def submit(kinds: tuple[str, ...], **per_code: str) -> None:
        admin = await make_account()
        await submitted_assessment(
            admin, await make_programme(admin, "P", kinds), aggregate_min=3, **per_code
        )

    for kinds in [("rural",)] * 3 + [("urban",)] * 3:
        await submit(kinds)
    assert (await field_figures(RELEASE_ID, "REC-1", "rural", minimum=3)).shown
    await submit(("rural", "urban"), REC_1="not_applicable")
    await submit(("urban",))
    await submit(("urban",))  # enough new submissions for a new count
    assert (await field_figures(RELEASE_ID, "REC-1", "", minimum=3)).shown
    for kind in ("rural", "urban"):  # rural + urban - all would be the programme that declared both
        assert not (await field_figures(RELEASE_ID, "REC-1", kind, minimum=3)).shown


async def test_the_latest_submission_of_a_programme_counts(db: None):
    admin = await make_account()
    programme_id = await make_programme(admin)
    earlier = await start_assessment(admin, programme_id, SLUG, "latest", releases())
    later = await start_assessment(admin, programme_id, SLUG, "latest", releases())
    await answer_all(admin, later, "exemplary")
    await submit_assessment(admin, later, releases(), 1)
    await answer_all(admin, earlier, "not_started")
    await submit_assessment(admin, earlier, releases(), 1)  # started first, submitted last
    figures = await field_figures(RELEASE_ID, "REC-1", "", minimum=1)
    assert figures.counts["not_started"] == 1 and figures.counts["exemplary"] == 0
