"""An overdue action of an improvement plan is told once to the programme's contributors and admins."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from programmes.assessments import start_assessment
from programmes.membership import set_member
from programmes.overdue import announce_overdue_actions
from programmes.plan import add_action, update_action
from proposals.notifications import dispatch_events, list_notifications
from tests.constants import SLUG
from tests.programmes.factories import make_programme, releases
from tests.proposals.factories import make_account

pytestmark = pytest.mark.usefixtures("db")


async def test_an_overdue_action_is_told_once_to_those_who_act_on_the_plan():
    admin = await make_account("Admin")
    contributor, viewer = await make_account("Contributrice"), await make_account("Lecteur")
    programme = await make_programme(admin)
    await set_member(admin, programme, contributor.id, "contributor")
    await set_member(admin, programme, viewer.id, "viewer")
    assessment = await start_assessment(admin, programme, SLUG, "latest", releases())
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    late = await add_action(admin, assessment, "REC-1", "Former les mentors", releases(), due_on=yesterday)
    await add_action(
        admin,
        assessment,
        "REC-2",
        "Plus tard",
        releases(),
        due_on=(date.today() + timedelta(days=9)).isoformat(),
    )
    assert await announce_overdue_actions() == 1
    assert await announce_overdue_actions() == 0  # told once: not again
    while await dispatch_events():
        pass
    for person, told in ((admin, 1), (contributor, 1), (viewer, 0)):
        notes = await list_notifications(person.id)
        assert len(notes) == told
    [note] = await list_notifications(contributor.id)
    assert note.kind == "action_overdue" and note.path == f"/assessments/{assessment}#plan"
    assert note.text.say() == "An action of Mentorat Nord is overdue: Former les mentors"
    await update_action(admin, late.id, status="done")
    assert await announce_overdue_actions() == 0
