"""When the framework changes: the next assessment carries answers over, flags the revised ones,
archives the retired ones; actions follow; the programme sees what the release changes for it."""

from __future__ import annotations

import pytest

from programmes.answers import AnswerInput, save_answers
from programmes.assessments import read_assessment, start_assessment
from programmes.changes import programme_changes
from programmes.plan import add_action
from programmes.submission import start_successor, submit_assessment
from tests.constants import SLUG
from tests.programmes.factories import make_programme, publish_changes, releases, submitted_assessment
from tests.proposals.factories import make_account
from web.failures import Conflict, InvalidInput


async def test_the_next_assessment_carries_flags_and_archives(db: None):
    admin = await make_account()
    programme_id = await make_programme(admin)
    first = await submitted_assessment(admin, programme_id, REC_4="not_applicable")
    await add_action(admin, first, "REC-1", "Revoir la charte", releases())
    await add_action(admin, first, "REC-4", "Sans suite", releases())
    version = await publish_changes()

    successor = await start_successor(admin, first, "latest", releases())
    view = await read_assessment(admin, successor, releases())
    assert (view.release.version, view.status, view.predecessor) == (version, "draft", first)
    answers = {a.indicator: a for a in view.answers}
    assert answers["REC-1"].carried and answers["REC-1"].needs_review
    assert answers["REC-2"].carried and not answers["REC-2"].needs_review
    assert answers["REC-2"].level == "in_place"
    assert answers["REC-5"].level is None  # added: empty
    assert [a.indicator for a in view.archived] == ["REC-4"]
    assert [(a.indicator, a.carried) for a in view.actions] == [("REC-1", True)]

    with pytest.raises(Conflict):  # REC-5 unanswered, REC-1 to review
        await submit_assessment(admin, successor, releases(), 1)
    reviewed = [
        AnswerInput("REC-1", "in_place", version=answers["REC-1"].version),
        AnswerInput("REC-5", "in_progress", version=0),
    ]
    await save_answers(admin, successor, reviewed, releases())
    done = await submit_assessment(admin, successor, releases(), 1)
    assert done.status == "submitted" and done.to_review == 0


async def test_only_a_submitted_assessment_carries_over_to_a_release_not_older(db: None):
    admin = await make_account()
    programme_id = await make_programme(admin)
    draft = await start_assessment(admin, programme_id, SLUG, "latest", releases())
    with pytest.raises(Conflict):
        await start_successor(admin, draft, "latest", releases())
    await publish_changes()
    on_new = await submitted_assessment(admin, programme_id)
    with pytest.raises(Conflict):
        await start_successor(admin, on_new, "1.0.0", releases())


async def test_what_a_release_changes_for_a_programme(db: None):
    admin, outsider = await make_account(), await make_account()
    programme_id = await make_programme(admin)
    await submitted_assessment(admin, programme_id, REC_1="exemplary")
    version = await publish_changes()
    changes = await programme_changes(admin, programme_id, SLUG, releases())
    assert (changes.from_version, changes.to_version) == ("1.0.0", version)
    assert [c.code for c in changes.changed] == ["REC-1"]
    assert [c.code for c in changes.added] == ["REC-5"]
    assert [c.code for c in changes.retired] == ["REC-4"]
    assert "REC-2" in {c.code for c in changes.unchanged}
    assert changes.answers["REC-1"].level == "exemplary"
    assert any(op == "insert" for f in changes.changed[0].fields for op, _text in f.diff)
    assert changes.can_carry_over
    with pytest.raises(InvalidInput):  # backwards
        await programme_changes(admin, programme_id, SLUG, releases(), version, "1.0.0")
    with pytest.raises(Exception) as refused:
        await programme_changes(outsider, programme_id, SLUG, releases())
    assert refused.value.status_code == 403


async def test_without_an_assessment_the_changes_start_from_the_release_before(db: None):
    admin = await make_account()
    programme_id = await make_programme(admin)
    assert (await programme_changes(admin, programme_id, SLUG, releases())).from_version == "1.0.0"
    await publish_changes()
    changes = await programme_changes(admin, programme_id, SLUG, releases())
    assert changes.from_version != changes.to_version and not changes.can_carry_over
    draft = await start_assessment(admin, programme_id, SLUG, "1.0.0", releases())
    changes = await programme_changes(admin, programme_id, SLUG, releases())
    assert changes.assessment_id == draft and not changes.can_carry_over  # a draft is not carried over
