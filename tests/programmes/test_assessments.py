"""Self-assessment rules, at the level of the use cases: roles, drafts, stale saves, submission."""

from __future__ import annotations

import pytest

from programmes.answers import AnswerInput, save_answer, save_answers
from programmes.assessments import read_assessment, start_assessment
from programmes.membership import create_programme, get_programme, remove_member, set_member
from programmes.submission import assessment_hash, submit_assessment
from proposals.tables import Account
from tests.constants import SLUG
from tests.programmes.factories import answer_all, make_programme, releases
from tests.proposals.factories import make_account
from web.failures import Conflict, Forbidden, InvalidInput, NotFound, NotSignedIn


async def test_the_creator_is_the_first_admin_and_roles_are_checked(db: None):
    admin, viewer, outsider = await make_account(), await make_account(), await make_account()
    programme_id = await make_programme(admin)
    view = await set_member(admin, programme_id, viewer.id, "viewer")
    assert [(m.account_id, m.role.value) for m in view.members] == [
        (admin.id, "admin"),
        (viewer.id, "viewer"),
    ]
    with pytest.raises(Forbidden):
        await get_programme(outsider, programme_id)
    with pytest.raises(NotSignedIn):
        await get_programme(None, programme_id)
    with pytest.raises(Forbidden):
        await start_assessment(viewer, programme_id, SLUG, "latest", releases())
    with pytest.raises(Forbidden):
        await set_member(viewer, programme_id, outsider.id, "admin")
    with pytest.raises(Conflict):
        await remove_member(admin, programme_id, admin.id)  # the last admin stays


async def test_a_programme_is_checked_at_the_edge(db: None):
    admin = await make_account()
    with pytest.raises(InvalidInput) as error:
        await create_programme(admin, "Tremplin", "99", ["rural"])
    assert error.value.field == "department"
    with pytest.raises(InvalidInput):
        await create_programme(admin, "Tremplin", "2A", ["forest"])
    with pytest.raises(InvalidInput):
        await create_programme(admin, "  ", "2A", [])
    view = await create_programme(admin, "Tremplin", "2a", ["qpv", "rural", "qpv"])
    assert (view.department.code, view.territory_kinds) == ("2A", ("rural", "qpv"))


async def test_answers_are_saved_as_a_draft_and_a_stale_save_is_refused(db: None):
    admin, colleague = await make_account(), await make_account()
    programme_id = await make_programme(admin)
    await set_member(admin, programme_id, colleague.id, "contributor")
    assessment_id = await start_assessment(admin, programme_id, SLUG, "latest", releases())
    first = await save_answer(
        admin, assessment_id, AnswerInput("REC-1", "in_progress", version=0), releases()
    )
    assert (first.level, first.version) == ("in_progress", 1)
    with pytest.raises(Conflict):  # the colleague read it before it was saved
        await save_answer(colleague, assessment_id, AnswerInput("REC-1", "in_place", version=0), releases())
    second = await save_answer(
        colleague, assessment_id, AnswerInput("REC-1", "in_place", version=1), releases()
    )
    assert (second.level, second.version) == ("in_place", 2)
    view = await read_assessment(admin, assessment_id, releases())
    assert view.progress == (1, len(view.answers))


async def test_not_applicable_needs_a_justification_and_links_are_web_addresses(db: None):
    admin = await make_account()
    assessment_id = await start_assessment(admin, await make_programme(admin), SLUG, "latest", releases())
    with pytest.raises(InvalidInput) as error:
        await save_answer(admin, assessment_id, AnswerInput("REC-1", "not_applicable"), releases())
    assert error.value.field == "justification"
    for links in (["javascript:alert(1)"], ["https://"], "https://x.org", ["https://a.org/ x"]):
        with pytest.raises(InvalidInput):
            await save_answer(admin, assessment_id, AnswerInput("REC-1", "in_place", links=links), releases())
    with pytest.raises(InvalidInput):
        await save_answer(admin, assessment_id, AnswerInput("REC-1", "perfect"), releases())
    with pytest.raises(NotFound):
        await save_answer(admin, assessment_id, AnswerInput("NOPE-1", "in_place"), releases())


async def test_a_theme_is_saved_whole_or_not_at_all(db: None):
    admin = await make_account()
    assessment_id = await start_assessment(admin, await make_programme(admin), SLUG, "latest", releases())
    await save_answer(admin, assessment_id, AnswerInput("REC-2", "exemplary"), releases())
    with pytest.raises(Conflict):
        await save_answers(
            admin,
            assessment_id,
            [AnswerInput("REC-1", "in_place", version=0), AnswerInput("REC-2", "in_place", version=0)],
            releases(),
        )
    view = await read_assessment(admin, assessment_id, releases())
    levels = {a.indicator: a.level for a in view.answers}
    assert (levels["REC-1"], levels["REC-2"]) == (None, "exemplary")


async def test_submission_needs_every_answer_freezes_and_hashes(db: None):
    admin, contributor = await make_account(), await make_account()
    programme_id = await make_programme(admin)
    await set_member(admin, programme_id, contributor.id, "contributor")
    assessment_id = await start_assessment(contributor, programme_id, SLUG, "latest", releases())
    with pytest.raises(Conflict):
        await submit_assessment(admin, assessment_id, releases(), 1)  # nothing answered
    await answer_all(contributor, assessment_id)
    with pytest.raises(Forbidden):
        await submit_assessment(contributor, assessment_id, releases(), 1)  # an admin submits
    view = await submit_assessment(admin, assessment_id, releases(), 1)
    assert view.status == "submitted" and view.content_hash == assessment_hash(view)
    with pytest.raises(Conflict):
        await save_answer(admin, assessment_id, AnswerInput("REC-1", "exemplary"), releases())
    with pytest.raises(Conflict):
        await submit_assessment(admin, assessment_id, releases(), 1)


async def test_a_programme_keeps_an_admin_whose_account_works(db: None):
    first, second = await make_account(), await make_account()
    programme_id = await make_programme(first)
    await set_member(first, programme_id, second.id, "admin")
    await Account.update({Account.is_active: False}).where(Account.id == second.id)
    with pytest.raises(Conflict):  # the other admin cannot act any more
        await set_member(first, programme_id, first.id, "viewer")
    view = await remove_member(first, programme_id, second.id)  # a deactivated admin may go
    assert [m.account_id for m in view.members] == [first.id]


async def test_a_member_following_an_old_share_link_still_reads_as_a_member(db: None):
    admin, outsider = await make_account(), await make_account()
    assessment_id = await start_assessment(admin, await make_programme(admin), SLUG, "latest", releases())
    assert (
        await read_assessment(admin, assessment_id, releases(), share="revoked-or-made-up")
    ).id == assessment_id
    with pytest.raises(Forbidden):
        await read_assessment(outsider, assessment_id, releases(), share="revoked-or-made-up")
    with pytest.raises(Forbidden):
        await read_assessment(None, assessment_id, releases(), share="revoked-or-made-up")
