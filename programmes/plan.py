"""The improvement plan: actions about the indicators of an assessment, who carries them, by when."""

from __future__ import annotations

from datetime import UTC, date, datetime

from programmes.assessments import ActionView, Releases, assessed_release, list_actions, open_assessment
from programmes.membership import require_role
from programmes.roles import ProgrammeRole
from programmes.tables import Action
from programmes.topics import programme_topic
from proposals.roles import Actor
from proposals.services import clean_text
from web.changes import announce
from web.failures import InvalidInput, NotFound
from web.messages import Term

ACTION_STATUSES = ("planned", "doing", "done")
STATUS_NAMES = {"planned": Term("planned"), "doing": Term("doing"), "done": Term("done")}
TITLE_MAX = 200
OWNER_MAX = 200


def action_status(value: object) -> str:
    if not isinstance(value, str) or value not in ACTION_STATUSES:
        raise InvalidInput(
            "Unknown status: %(status)s. An action is planned, doing or done.",
            "status",
            status=str(value)[:40],
        )
    return value


def due_date(value: object) -> date | None:
    """A date written YYYY-MM-DD, or nothing."""
    if value is None or value == "":
        return None
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            "The due date must be a date written YYYY-MM-DD, such as 2027-03-31.", "due_on"
        ) from None


async def add_action(
    actor: Actor | None,
    assessment_id: int,
    indicator: object,
    title: object,
    releases: Releases,
    owner: object = "",
    due_on: object = None,
) -> ActionView:
    row, _role = await open_assessment(
        actor, assessment_id, ProgrammeRole.contributor, Term("plan an action")
    )
    release, _local = await assessed_release(row, releases)
    if not isinstance(indicator, str) or indicator not in release.indicators():
        raise InvalidInput(
            "The release %(version)s has no indicator %(code)r.",
            "indicator",
            version=release.version,
            code=str(indicator)[:40],
        )
    title = clean_text(title, Term("action's title"), TITLE_MAX, field="title", line=True)
    owner = clean_text(
        owner or "", Term("action's owner"), OWNER_MAX, required=False, field="owner", line=True
    )
    now = datetime.now(UTC)
    async with Action._meta.db.transaction():
        action = Action(
            assessment=assessment_id,
            indicator_code=indicator,
            title=title,
            owner=owner,
            due_on=due_date(due_on),
            created_at=now,
            updated_at=now,
        )
        await Action.insert(action)
        await announce(programme_topic(row["programme"]))
    return await _action_view(assessment_id, action.id)


async def update_action(actor: Actor | None, action_id: int, **changes: object) -> ActionView:
    """Change an action's status, title, owner or due date (what `changes` names)."""
    row = (
        await Action.select(Action.assessment, Action.assessment.programme.as_alias("programme"))
        .where(Action.id == action_id)
        .first()
    )
    if row is None:
        raise NotFound("There is no action number %(number)s.", number=str(action_id))
    await require_role(actor, row["programme"], ProgrammeRole.contributor, Term("change an action"))
    values: dict = {Action.updated_at: datetime.now(UTC)}
    if "status" in changes:
        values[Action.status] = action_status(changes["status"])
    if "title" in changes:
        values[Action.title] = clean_text(
            changes["title"], Term("action's title"), TITLE_MAX, field="title", line=True
        )
    if "owner" in changes:
        values[Action.owner] = clean_text(
            changes["owner"] or "",
            Term("action's owner"),
            OWNER_MAX,
            required=False,
            field="owner",
            line=True,
        )
    if "due_on" in changes:
        values[Action.due_on] = due_date(changes["due_on"])
    async with Action._meta.db.transaction():
        await Action.update(values).where(Action.id == action_id)
        await announce(programme_topic(row["programme"]))
    return await _action_view(row["assessment"], action_id)


async def _action_view(assessment_id: int, action_id: int) -> ActionView:
    return next(a for a in await list_actions(assessment_id) if a.id == action_id)
