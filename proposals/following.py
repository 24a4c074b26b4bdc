"""Following: an account follows a proposal, an indicator or a theme, and hears of what happens to it
(proposals/notifications.py). Authors and commenters follow what they wrote on; members of a working
group hear of everything in their group's themes without following it."""

from __future__ import annotations

from datetime import UTC, datetime

from indicators.queries import get_framework, indicator_history, list_themes
from proposals.roles import Actor
from proposals.services import positive_id, proposal_row, signed_in
from proposals.tables import Follow
from web.failures import InvalidInput, NotFound
from web.messages import Term

TARGETS = ("proposal", "indicator", "theme")


async def target_key(
    target: object, proposal: object = None, framework: object = None, code: object = None
) -> str:
    """The key of a follow (tables.Follow), once what it names is checked to exist."""
    if target not in TARGETS:
        raise InvalidInput(
            "Unknown target %(target)r: follow a proposal, an indicator or a theme.", "target", target=target
        )
    if target == "proposal":
        await proposal_row(positive_id(proposal, Term("proposal number"), "id"))
        return str(proposal)
    if not isinstance(framework, str) or not isinstance(code, str) or not code.strip():
        raise InvalidInput("Name the indicator or theme by its framework and its code.", "code")
    found = await get_framework(framework)
    code = code.strip()
    if target == "theme":
        if code not in {theme["code"] for theme in await list_themes(found)}:
            raise NotFound("The framework %(slug)r has no theme %(theme)r.", slug=found.slug, theme=code)
    else:
        await indicator_history(found, code)  # NotFound unless ever published (retired ones count)
    return f"{found.slug}/{code}"


async def follow(actor: Actor | None, target: str, key: str) -> None:
    """Idempotent: following twice is following."""
    actor = signed_in(actor, Term("follow"))
    await add_follow(actor.id, target, key)


async def add_follow(account_id: int, target: str, key: str) -> None:
    await Follow.insert(
        Follow(account=account_id, target=target, key=key, created_at=datetime.now(UTC))
    ).on_conflict(target=(Follow.account, Follow.target, Follow.key), action="DO NOTHING")


async def unfollow(actor: Actor | None, target: str, key: str) -> None:
    actor = signed_in(actor, Term("stop following"))
    await Follow.delete().where(
        (Follow.account == actor.id) & (Follow.target == target) & (Follow.key == key)
    )


async def follows_of(account_id: int) -> list[tuple[str, str]]:
    rows = (
        await Follow.select(Follow.target, Follow.key).where(Follow.account == account_id).order_by(Follow.id)
    )
    return [(row["target"], row["key"]) for row in rows]
