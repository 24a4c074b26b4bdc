"""Programmes and their members: who may read, answer and manage a programme's assessments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from places.france import Department, department
from places.territory_kinds import territory_kinds
from programmes.roles import ROLE_NAMES, ProgrammeRole, programme_role
from programmes.tables import Programme, ProgrammeMember
from programmes.topics import PROGRAMMES, programme_topic
from proposals.audit import record
from proposals.roles import Actor
from proposals.services import clean_text, signed_in
from proposals.tables import Account
from web.changes import announce
from web.database import lock_row
from web.failures import Conflict, Forbidden, NotFound
from web.messages import Term

NAME_MAX = 200


@dataclass(frozen=True)
class Member:
    account_id: int
    display_name: str
    role: ProgrammeRole


@dataclass(frozen=True)
class ProgrammeView:
    id: int
    name: str
    department: Department
    territory_kinds: tuple[str, ...]
    members: tuple[Member, ...]  # admins first, then by name

    def role_of(self, account_id: int) -> ProgrammeRole | None:
        return next((m.role for m in self.members if m.account_id == account_id), None)


async def create_programme(
    actor: Actor | None, name: object, department_code: object, kinds: object
) -> ProgrammeView:
    """A new programme, whose first admin is its creator."""
    actor = signed_in(actor, Term("create a programme"))
    name = clean_text(name, Term("programme's name"), NAME_MAX, field="name", line=True)
    place = department(department_code)
    kinds = territory_kinds(kinds)
    async with Programme._meta.db.transaction():
        programme = Programme(
            name=name, department=place.code, territory_kinds=list(kinds), created_at=datetime.now(UTC)
        )
        await Programme.insert(programme)
        await ProgrammeMember.insert(
            ProgrammeMember(programme=programme.id, account=actor.id, role=ProgrammeRole.admin.value)
        )
        detail = {"name": name, "department": place.code, "territory_kinds": list(kinds)}
        await record(actor.id, "programme.created", "programme", programme.id, detail)
        await announce(PROGRAMMES)  # the programmes registered, by region and kind, change
    return await get_programme(actor, programme.id)


async def _programme_row(programme_id: int) -> dict:
    row = await Programme.select().where(Programme.id == programme_id).output(load_json=True).first()
    if row is None:
        raise NotFound("There is no programme number %(number)s.", number=str(programme_id))
    return row


async def _members(programme_id: int) -> tuple[Member, ...]:
    rows = await ProgrammeMember.select(
        ProgrammeMember.account, ProgrammeMember.account.display_name, ProgrammeMember.role
    ).where(ProgrammeMember.programme == programme_id)
    members = [Member(r["account"], r["account.display_name"], ProgrammeRole(r["role"])) for r in rows]
    order = list(ProgrammeRole)
    return tuple(
        sorted(members, key=lambda m: (-order.index(m.role), m.display_name.casefold(), m.account_id))
    )


async def programme_view(programme_id: int) -> ProgrammeView:
    """The programme as its members see it, whoever asks (callers check access first)."""
    row = await _programme_row(programme_id)
    return ProgrammeView(
        row["id"],
        row["name"],
        department(row["department"]),
        tuple(row["territory_kinds"] or ()),
        await _members(programme_id),
    )


async def role_in(programme_id: int, account_id: int) -> ProgrammeRole | None:
    row = (
        await ProgrammeMember.select(ProgrammeMember.role)
        .where((ProgrammeMember.programme == programme_id) & (ProgrammeMember.account == account_id))
        .first()
    )
    return ProgrammeRole(row["role"]) if row else None


async def require_role(
    actor: Actor | None, programme_id: int, needed: ProgrammeRole, doing: Term
) -> tuple[Actor, ProgrammeRole]:
    """The actor and their role in the programme, if it is at least `needed`; else NotSignedIn,
    NotFound (no such programme) or Forbidden."""
    actor = signed_in(actor, doing)
    await _programme_row(programme_id)
    return actor, check_role(await role_in(programme_id, actor.id), needed, doing)


def check_role(role: ProgrammeRole | None, needed: ProgrammeRole, doing: Term) -> ProgrammeRole:
    """`role` (someone's role in a programme, None for a non-member) if it is at least `needed`."""
    if role is None:
        raise Forbidden("Only the members of this programme may %(doing)s.", doing=doing)
    if not role.at_least(needed):
        raise Forbidden("Only a %(role)s or above may %(doing)s.", role=ROLE_NAMES[needed], doing=doing)
    return role


async def get_programme(actor: Actor | None, programme_id: int) -> ProgrammeView:
    await require_role(actor, programme_id, ProgrammeRole.viewer, Term("see this programme"))
    return await programme_view(programme_id)


async def programmes_of(account_id: int) -> list[tuple[int, str, ProgrammeRole]]:
    """The programmes an account belongs to (id, name, role), by name."""
    rows = await ProgrammeMember.select(
        ProgrammeMember.programme, ProgrammeMember.programme.name, ProgrammeMember.role
    ).where(ProgrammeMember.account == account_id)
    found = [(r["programme"], r["programme.name"], ProgrammeRole(r["role"])) for r in rows]
    return sorted(found, key=lambda p: (p[1].casefold(), p[0]))


async def set_member(actor: Actor | None, programme_id: int, account_id: int, role: object) -> ProgrammeView:
    """Add an account to the programme, or change its role (an admin's doing; idempotent). The last
    admin cannot step down: a programme always has someone to manage it."""
    actor, _role = await require_role(actor, programme_id, ProgrammeRole.admin, Term("manage members"))
    role = programme_role(role)
    async with Programme._meta.db.transaction():
        await lock_row(Programme, programme_id)  # one membership change of a programme at a time
        if not await Account.exists().where((Account.id == account_id) & (Account.is_active == True)):  # noqa: E712
            raise NotFound("There is no account number %(number)s.", number=str(account_id))
        current = await role_in(programme_id, account_id)
        if current == role:
            return await programme_view(programme_id)
        if current is ProgrammeRole.admin:
            await _keep_an_admin(programme_id, account_id)
        if current is None:
            await ProgrammeMember.insert(
                ProgrammeMember(programme=programme_id, account=account_id, role=role.value)
            )
        else:
            await ProgrammeMember.update({ProgrammeMember.role: role.value}).where(
                (ProgrammeMember.programme == programme_id) & (ProgrammeMember.account == account_id)
            )
        detail = {"account": account_id, "role": role.value, "before": current.value if current else None}
        await record(actor.id, "programme.member_set", "programme", programme_id, detail)
        await announce(programme_topic(programme_id))
    return await programme_view(programme_id)


async def remove_member(actor: Actor | None, programme_id: int, account_id: int) -> ProgrammeView:
    actor, _role = await require_role(actor, programme_id, ProgrammeRole.admin, Term("manage members"))
    async with Programme._meta.db.transaction():
        await lock_row(Programme, programme_id)
        current = await role_in(programme_id, account_id)
        if current is None:
            raise NotFound(
                "Account number %(number)s is not a member of this programme.", number=str(account_id)
            )
        if current is ProgrammeRole.admin:
            await _keep_an_admin(programme_id, account_id)
        await ProgrammeMember.delete().where(
            (ProgrammeMember.programme == programme_id) & (ProgrammeMember.account == account_id)
        )
        await record(actor.id, "programme.member_removed", "programme", programme_id, {"account": account_id})
        await announce(programme_topic(programme_id))
    return await programme_view(programme_id)


async def _keep_an_admin(programme_id: int, leaving: int) -> None:
    """Conflict unless an admin other than `leaving`, whose account still works, remains."""
    others = await ProgrammeMember.count().where(
        (ProgrammeMember.programme == programme_id)
        & (ProgrammeMember.role == ProgrammeRole.admin.value)
        & (ProgrammeMember.account != leaving)
        & (ProgrammeMember.account.is_active == True)  # noqa: E712
    )
    if others == 0:
        raise Conflict("A programme needs at least one admin: make someone else admin first.")
