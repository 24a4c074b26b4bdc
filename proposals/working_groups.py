"""Working groups: practitioners named by a steward, each group answering for some themes."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from piccolo.columns.combination import Where

from indicators.queries import FrameworkInfo, get_framework, list_themes
from proposals.audit import record
from proposals.roles import Actor, Role
from proposals.services import clean_text, positive_id, signed_in
from proposals.tables import Account, Proposal, WorkingGroup, WorkingGroupMember, WorkingGroupTheme
from proposals.topics import GROUPS, account_topic
from web.changes import announce
from web.database import is_postgres, lock_key, lock_row
from web.failures import Conflict, InvalidInput, NotFound
from web.messages import Term


@dataclass(frozen=True)
class WorkingGroupInfo:
    id: int
    framework: str
    name: str
    themes: tuple[str, ...]  # theme codes, in the framework's order
    members: tuple[tuple[int, str], ...]  # (account id, display name), by name


MAX_THEMES = 100
# The roles whose members of a working group vote.
VOTING_ROLES = [role.value for role in Role if role.at_least(Role.member)]
# The advisory lock's namespace on PostgreSQL (with the framework's id): one group change at a time.
GROUPS_LOCK = 3


async def create_working_group(
    actor: Actor | None, framework_slug: str, name: str, theme_codes: list[str]
) -> WorkingGroupInfo:
    actor = signed_in(actor, Term("create a working group"))
    actor.require(Role.steward, Term("create a working group"))
    name = clean_text(name, Term("working group's name"), 200, field="name", line=True)
    codes = _theme_codes(theme_codes)
    framework = await get_framework(framework_slug)
    async with WorkingGroup._meta.db.transaction():
        await lock_key(GROUPS_LOCK, framework.id)  # serialises group changes of one framework
        themes = await _free_themes(framework, codes)
        if await WorkingGroup.exists().where(
            (WorkingGroup.framework == framework.id) & (WorkingGroup.name == name)
        ):
            raise Conflict("There is already a working group called %(name)r.", name=name)
        group = WorkingGroup(framework=framework.id, name=name, created_at=datetime.now(UTC))
        await WorkingGroup.insert(group)
        if themes:
            await WorkingGroupTheme.insert(
                *(WorkingGroupTheme(working_group=group.id, theme=t["id"]) for t in themes)
            )
        detail = {"name": name, "framework": framework.slug, "themes": [t["code"] for t in themes]}
        await record(actor.id, "working_group.created", "working_group", group.id, detail)
        await announce(GROUPS)
    return WorkingGroupInfo(group.id, framework.slug, name, tuple(t["code"] for t in themes), ())


def _theme_codes(theme_codes: object) -> list[str]:
    """The theme codes asked for, each once, in their order (at least one, at most MAX_THEMES)."""
    if not isinstance(theme_codes, list | tuple) or not all(isinstance(c, str) for c in theme_codes):
        raise InvalidInput("The themes must be a list of theme codes.", "themes")
    # No theme: a territorial network, which votes on the proposals to its adaptation only.
    codes = list(dict.fromkeys(code.strip() for code in theme_codes))
    if len(codes) > MAX_THEMES:
        # Also keeps the query below within the database's limit on parameters (SQLite: 32,766).
        raise InvalidInput(
            "A working group answers for at most %(maximum)s themes, not %(count)s.",
            "themes",
            maximum=MAX_THEMES,
            count=len(codes),
        )
    return codes


async def _free_themes(framework: FrameworkInfo, codes: list[str]) -> list[dict]:
    """The framework's themes named by `codes`, in its order; NotFound for a code that names none,
    Conflict for a theme another working group answers for already."""
    themes = [theme for theme in await list_themes(framework) if theme["code"] in codes]
    missing = [code for code in codes if code not in {t["code"] for t in themes}]
    if missing:
        shown = ", ".join(repr(c if len(c) <= 40 else c[:40] + "…") for c in missing[:5])
        if len(missing) > 5:
            raise NotFound(
                "The framework %(slug)r has no theme %(themes)s (and others).",
                slug=framework.slug,
                themes=shown,
            )
        raise NotFound("The framework %(slug)r has no theme %(themes)s.", slug=framework.slug, themes=shown)
    if not themes:
        return []
    taken = await WorkingGroupTheme.select(
        WorkingGroupTheme.theme.code.as_alias("code"),
        WorkingGroupTheme.working_group.name.as_alias("name"),
    ).where(WorkingGroupTheme.theme.is_in([t["id"] for t in themes]))
    if taken:
        raise Conflict(
            "The theme %(code)s is already answered by the working group %(group)r: "
            "a theme has one working group.",
            code=taken[0]["code"],
            group=taken[0]["name"],
        )
    return themes


async def _group_and_account(group_id: int, account_id: int) -> dict:
    positive_id(group_id, Term("working group number"))
    positive_id(account_id, Term("account number"))
    group = await WorkingGroup.select(WorkingGroup.id).where(WorkingGroup.id == group_id).first()
    if group is None:
        raise NotFound("There is no working group number %(number)s.", number=str(group_id))
    account = (
        await Account.select(Account.id, Account.role, Account.is_active)
        .where(Account.id == account_id)
        .first()
    )
    if account is None:
        raise NotFound("There is no account number %(number)s.", number=str(account_id))
    return account


async def add_member(actor: Actor | None, group_id: int, account_id: int) -> WorkingGroupInfo:
    """Idempotent. A practitioner who joins a group becomes a member."""
    actor = signed_in(actor, Term("add a member to a working group"))
    actor.require(Role.steward, Term("add a member to a working group"))
    return await _set_membership(actor, group_id, account_id, member=True)


async def remove_member(actor: Actor | None, group_id: int, account_id: int) -> WorkingGroupInfo:
    """Idempotent. A member who belongs to no group any more becomes a practitioner again."""
    actor = signed_in(actor, Term("remove a member from a working group"))
    actor.require(Role.steward, Term("remove a member from a working group"))
    return await _set_membership(actor, group_id, account_id, member=False)


async def _set_membership(actor: Actor, group_id: int, account_id: int, member: bool) -> WorkingGroupInfo:
    """Make the account a member of the group (or not), with the role that goes with it: member while
    it belongs to a group, practitioner again once it belongs to none (a steward stays a steward)."""
    async with WorkingGroup._meta.db.transaction():
        account = await _group_and_account(group_id, account_id)
        if member and not account["is_active"]:
            raise Conflict(
                "Account %(number)s is deactivated: it cannot join a working group.", number=str(account_id)
            )
        await lock_row(Account, account_id)
        link = (WorkingGroupMember.working_group == group_id) & (WorkingGroupMember.account == account_id)
        if await WorkingGroupMember.exists().where(link) == member:
            return await get_working_group(group_id)  # nothing to change
        if member:
            await WorkingGroupMember.insert(WorkingGroupMember(working_group=group_id, account=account_id))
        else:
            await WorkingGroupMember.delete().where(link)
        role = await _role_after_membership(account_id, account["role"], member)
        action = "working_group.member_added" if member else "working_group.member_removed"
        await record(actor.id, action, "working_group", group_id, {"account": account_id, "role": role})
        await announce(GROUPS, account_topic(account_id))
    return await get_working_group(group_id)


async def _role_after_membership(account_id: int, role: str, member: bool) -> str:
    """A practitioner who joins becomes a member; a member in no group any more, a practitioner."""
    if member and role == Role.practitioner:
        new = Role.member
    elif (
        not member
        and role == Role.member
        and not await WorkingGroupMember.exists().where(WorkingGroupMember.account == account_id)
    ):
        new = Role.practitioner
    else:
        return role
    await Account.update({Account.role: new.value}).where((Account.id == account_id) & (Account.role == role))
    return new.value


async def _infos(groups: list[dict], slug_of: dict[int, str]) -> list[WorkingGroupInfo]:
    ids = [g["id"] for g in groups]
    if not ids:
        return []
    themes = (
        await WorkingGroupTheme.select(
            WorkingGroupTheme.working_group, WorkingGroupTheme.theme.code.as_alias("code")
        )
        .where(WorkingGroupTheme.working_group.is_in(ids))
        .order_by(WorkingGroupTheme.theme.position)
    )
    members = (
        await WorkingGroupMember.select(
            WorkingGroupMember.working_group,
            WorkingGroupMember.account,
            WorkingGroupMember.account.display_name.as_alias("name"),
        )
        .where(WorkingGroupMember.working_group.is_in(ids))
        .order_by(WorkingGroupMember.account.display_name, WorkingGroupMember.account)
    )
    return [
        WorkingGroupInfo(
            id=g["id"],
            framework=slug_of[g["framework"]],
            name=g["name"],
            themes=tuple(t["code"] for t in themes if t["working_group"] == g["id"]),
            members=tuple((m["account"], m["name"]) for m in members if m["working_group"] == g["id"]),
        )
        for g in groups
    ]


_GROUP_COLUMNS = (WorkingGroup.id, WorkingGroup.framework, WorkingGroup.name, WorkingGroup.framework.slug)


async def get_working_group(group_id: int) -> WorkingGroupInfo:
    positive_id(group_id, Term("working group number"))
    group = await WorkingGroup.select(*_GROUP_COLUMNS).where(WorkingGroup.id == group_id).first()
    if group is None:
        raise NotFound("There is no working group number %(number)s.", number=str(group_id))
    return (await _infos([group], {group["framework"]: group["framework.slug"]}))[0]


async def list_working_groups(framework_slug: str) -> list[WorkingGroupInfo]:
    """The framework's working groups by name, with their themes and members. Four queries."""
    framework = await get_framework(framework_slug)
    groups = (
        await WorkingGroup.select(*_GROUP_COLUMNS)
        .where(WorkingGroup.framework == framework.id)
        .order_by(WorkingGroup.name)
    )
    return await _infos(groups, {framework.id: framework.slug})


async def group_for_theme(theme_id: int) -> tuple[int, tuple[int, ...]] | None:
    """The working group answering for a theme and those of its members who may vote (voters), or None.

    A voter is an active account with the member role or above that belongs to the group: a member
    demoted to practitioner or deactivated stops being one at once, on every open vote. Their
    ballots are kept but stop counting (they count again if the account becomes a voter again
    before the vote closes).
    """
    row = (
        await WorkingGroupTheme.select(WorkingGroupTheme.working_group)
        .where(WorkingGroupTheme.theme == theme_id)
        .first()
    )
    if row is None:
        return None
    return row["working_group"], await group_voters(row["working_group"])


async def group_voters(group_id: int) -> tuple[int, ...]:
    """Those of a working group's members who may vote (voters, as group_for_theme says), by id."""
    member = WorkingGroupMember
    voters = (
        await member.select(member.account)
        .where((member.working_group == group_id) & _may_vote(member))
        .order_by(member.account)
    )
    return tuple(m["account"] for m in voters)


# One statement written by hand: ballots come in bursts, and Piccolo took longer to build the
# queries this replaces (with their joins) than the database took to answer them.
_VOTE_STATES = """
WITH ballot (proposal, account) AS (VALUES PAIRS)
SELECT p.id, ballot.account, p.status, p.vote_opened_at, p.closes_at, p.adaptation IS NOT NULL AS local,
    EXISTS (
        SELECT 1 FROM working_group_member m JOIN account a ON a.id = m.account
        WHERE m.account = ballot.account AND a.is_active AND a.role IN (ROLES)
        AND m.working_group = CASE WHEN p.adaptation IS NULL
            THEN (SELECT t.working_group FROM working_group_theme t WHERE t.theme = p.theme)
            ELSE (SELECT d.working_group FROM adaptation d WHERE d.id = p.adaptation) END
    ) AS voter
FROM ballot JOIN proposal p ON p.id = ballot.proposal
SHARE_LOCK
"""


async def vote_states(ballots: Collection[tuple[int, int]]) -> dict[tuple[int, int], dict]:
    """What ballots about to be written check, by (proposal, account): the proposal's id, status,
    vote_opened_at and closes_at; `local`, whether it changes a local adaptation; and `voter`, whether
    the account is one of its voters (group_voters of the network keeping the adaptation, or of the
    group answering for the theme). A proposal that does not exist is left out. On PostgreSQL the
    proposals stay locked in share mode to the end of the transaction (web/database.py `shared`)."""
    pairs = ", ".join(["(CAST({} AS INTEGER), CAST({} AS INTEGER))"] * len(ballots))
    lock = "FOR SHARE OF p" if is_postgres() else ""
    roles = ", ".join("{}" for _ in VOTING_ROLES)
    sql = _VOTE_STATES.replace("PAIRS", pairs).replace("ROLES", roles).replace("SHARE_LOCK", lock)
    rows = await Proposal.raw(sql, *(value for pair in ballots for value in pair), *VOTING_ROLES)
    return {
        (row["id"], row["account"]): {**row, "local": bool(row["local"]), "voter": bool(row["voter"])}
        for row in rows
    }


def _may_vote(member: type[WorkingGroupMember]) -> Where:
    return (member.account.is_active == True) & member.account.role.is_in(VOTING_ROLES)  # noqa: E712 (SQL)


async def working_groups_of(account_id: int) -> list[tuple[int, str]]:
    """(id, name) of the working groups an account belongs to, by name."""
    rows = (
        await WorkingGroupMember.select(
            WorkingGroupMember.working_group, WorkingGroupMember.working_group.name.as_alias("name")
        )
        .where(WorkingGroupMember.account == account_id)
        .order_by(WorkingGroupMember.working_group.name)
    )
    return [(row["working_group"], row["name"]) for row in rows]
