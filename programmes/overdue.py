"""Overdue actions: an action of an improvement plan past its due date and not done is told once to
the programme's contributors and admins (proposals/notifications.py), who may act on it."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

from programmes.tables import Action, ProgrammeMember
from programmes.urls import assessment_path
from proposals.notifications import emit, told


async def announce_overdue_actions(today: date | None = None) -> int:
    """An event per overdue action not yet told (its dedupe key names the action and its due date).
    Three reads, whatever the number of actions; a write only for those not told yet."""
    today = today or datetime.now(UTC).date()
    overdue = await Action.select(
        Action.id,
        Action.title,
        Action.due_on,
        Action.assessment,
        Action.assessment.programme.as_alias("programme"),
        Action.assessment.programme.name.as_alias("programme_name"),
    ).where((Action.due_on < today) & (Action.status != "done"))
    keys = {row["id"]: f"action_overdue:{row['id']}:{row['due_on'].isoformat()}" for row in overdue}
    done = await told(list(keys.values()))
    overdue = [row for row in overdue if keys[row["id"]] not in done]
    if not overdue:
        return 0
    members = await ProgrammeMember.select(ProgrammeMember.programme, ProgrammeMember.account).where(
        ProgrammeMember.programme.is_in(sorted({row["programme"] for row in overdue}))
        & ProgrammeMember.role.is_in(["contributor", "admin"])
    )
    by_programme: dict[int, list[int]] = defaultdict(list)
    for member in members:
        by_programme[member["programme"]].append(member["account"])
    for row in overdue:
        data = {
            "title": row["title"],
            "programme": row["programme_name"],
            "path": assessment_path(row["assessment"]) + "#plan",
            "recipients": sorted(by_programme[row["programme"]]),
        }
        await emit("action_overdue", data=data, dedupe=keys[row["id"]])
    return len(overdue)
