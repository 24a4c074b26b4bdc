"""Accounts: registration, sign-in checks, roles."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from asyncpg.exceptions import UniqueViolationError

from places.france import Department, department
from places.territory_kinds import territory_kinds as known_kinds
from proposals.access import end_all_access
from proposals.audit import record
from proposals.identities import normalise_email, person_text
from proposals.passwords import check_password, hash_password, verify_password
from proposals.roles import Actor, Role
from proposals.tables import Account, AuditEntry, Ballot, Comment, Proposal, WorkingGroupMember
from proposals.topics import GROUPS, PROPOSALS, TERRITORIES, account_topic, proposal_topic
from web.changes import announce
from web.failures import Conflict, InvalidInput, NotFound
from web.messages import Term


@dataclass(frozen=True)
class AccountView:
    id: int
    email: str
    display_name: str
    organisation: str
    territory: str
    role: Role
    is_active: bool
    working_groups: tuple[tuple[int, str], ...] = ()
    department: str = ""  # INSEE code, "" when not said
    territory_kinds: tuple[str, ...] = ()  # self-declared, in TERRITORY_KINDS order

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.role, self.display_name)

    @property
    def place(self) -> Department | None:
        """The department said, with its region; None when not said."""
        return department(self.department) if self.department else None


class EmailTaken(Conflict):
    """An account has this address already. `registration` holds what was submitted, cleaned, so
    that a page or the API may answer exactly as for a new account (and tell nobody which
    addresses are registered)."""

    def __init__(self, registration: Registration) -> None:
        super().__init__("An account with this email address exists already.")
        self.registration = registration


@dataclass(frozen=True)
class Registration:
    email: str
    display_name: str
    organisation: str
    territory: str
    department: str
    territory_kinds: tuple[str, ...]


def _department_code(value: object) -> str:
    """The INSEE code of the department given; "" (or None) says none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    return department(value).code


def _person(field: str, label: Term, maximum: int, required: bool = False) -> Callable[[object], str]:
    """A check of a name or organisation; an optional one takes None for empty."""
    return lambda value: person_text(
        value if required else value or "", field, label, maximum, required=required
    )


# How each field a person says about themself is checked and cleaned: the same at registration and
# on a change of profile.
_CLEANERS: dict[str, Callable[[object], object]] = {
    "display_name": _person("display_name", Term("The display name"), 100, required=True),
    "organisation": _person("organisation", Term("The organisation"), 200),
    "territory": _person("territory", Term("The territory"), 100),
    "department": _department_code,
    "territory_kinds": lambda value: known_kinds(value if value is not None else ()),
}


def _cleaned(fields: dict[str, object]) -> dict[str, object]:
    """The fields given, cleaned, in their order; InvalidInput on the first one that is wrong."""
    return {name: _CLEANERS[name](value) for name, value in fields.items()}


def _stored(fields: dict[str, object]) -> dict[str, object]:
    """Cleaned fields as columns take them: the kinds are a JSON list."""
    return {name: list(value) if isinstance(value, tuple) else value for name, value in fields.items()}


def _view(row: dict, groups: tuple[tuple[int, str], ...] = ()) -> AccountView:
    return AccountView(
        id=row["id"],
        email=row["email"],
        display_name=row["display_name"],
        organisation=row["organisation"],
        territory=row["territory"],
        role=Role(row["role"]),
        is_active=row["is_active"],
        working_groups=groups,
        department=row["department"],
        territory_kinds=tuple(row["territory_kinds"] or ()),
    )


_PUBLIC_COLUMNS = (
    Account.id,
    Account.email,
    Account.display_name,
    Account.organisation,
    Account.territory,
    Account.department,
    Account.territory_kinds,
    Account.role,
    Account.is_active,
)


async def register_account(
    email: object,
    password: object,
    display_name: object,
    organisation: object = "",
    territory: object = "",
    role: Role = Role.practitioner,
    *,
    department: object = "",
    territory_kinds: object = (),
) -> AccountView:
    """A new account; `department` (an INSEE code) and `territory_kinds` are optional, self-declared."""
    email = normalise_email(email)
    if not isinstance(password, str):
        raise InvalidInput("The password must be text.", "password")
    check_password(password)
    fields = _cleaned(
        {
            "display_name": display_name,
            "organisation": organisation,
            "territory": territory,
            "department": department,
            "territory_kinds": territory_kinds,
        }
    )
    submitted = Registration(email, **fields)
    # Outside the transaction (it takes a while), and for a taken address too: same time, same answer.
    password_hash = await hash_password(password)
    account = Account(
        email=email,
        password_hash=password_hash,
        role=role.value,
        created_at=datetime.now(UTC),
        **_stored(fields),
    )
    try:
        async with Account._meta.db.transaction():
            if await Account.exists().where(Account.email == email):
                raise EmailTaken(submitted)
            await Account.insert(account)
            await record(account.id, "account.registered", "account", account.id, {"role": role.value})
            if account.department or account.territory_kinds:
                await announce(TERRITORIES)  # whom stewards may invite from a territory not heard
    except (UniqueViolationError, sqlite3.IntegrityError) as error:
        # Two registrations of one address at once both pass the check above on PostgreSQL (READ
        # COMMITTED); the unique index lets one in and the other is refused here, rolled back.
        if not _email_index(error):
            raise
        raise EmailTaken(submitted) from None
    return AccountView(account.id, email, role=role, is_active=True, **fields)


def _email_index(error: Exception) -> bool:
    """Whether the unique index the error is about is the one on account.email."""
    if isinstance(error, UniqueViolationError):
        return error.constraint_name == "account_email_key"
    return "account.email" in str(error)


async def authenticate(email: str, password: str) -> AccountView | None:
    """The account if the password is right and the account active; None otherwise."""
    row = (
        await Account.select(*_PUBLIC_COLUMNS, Account.password_hash)
        .where(Account.email == email)
        .output(load_json=True)
        .first()
    )
    ok = await verify_password(row["password_hash"] if row else None, password)
    if row is None or not ok or not row["is_active"]:
        return None
    return _view(row)


async def get_account(account_id: int) -> AccountView:
    row = (
        await Account.select(*_PUBLIC_COLUMNS).where(Account.id == account_id).output(load_json=True).first()
    )
    if row is None:
        raise NotFound("There is no account %(number)s.", number=str(account_id))
    groups = await WorkingGroupMember.select(
        WorkingGroupMember.working_group.as_alias("id"),
        WorkingGroupMember.working_group.name.as_alias("name"),
    ).where(WorkingGroupMember.account == account_id)
    return _view(row, tuple((g["id"], g["name"]) for g in groups))


async def list_accounts() -> list[AccountView]:
    rows = await Account.select(*_PUBLIC_COLUMNS).order_by(Account.display_name).output(load_json=True)
    return [_view(row) for row in rows]


async def set_role(actor: Actor, account_id: int, role: object) -> AccountView:
    actor.require(Role.steward, Term("grant roles"))
    try:
        new_role = Role(role)
    except ValueError:
        raise InvalidInput(
            "Unknown role %(role)r: use practitioner, member or steward.", "role", role=role
        ) from None
    async with Account._meta.db.transaction():
        row = await Account.select(Account.role).where(Account.id == account_id).first()
        if row is None:
            raise NotFound("There is no account %(number)s.", number=str(account_id))
        if row["role"] != new_role.value:
            await Account.update({Account.role: new_role.value}).where(Account.id == account_id)
            await record(actor.id, "account.role_changed", "account", account_id, {"role": new_role.value})
            await announce(account_topic(account_id), GROUPS)  # who votes in its groups changes
    return await get_account(account_id)


async def change_password(actor: Actor, current: object, new: object) -> None:
    """Ends every session and token of the account: whoever knew the old password is out."""
    if not isinstance(current, str) or not isinstance(new, str):
        raise InvalidInput("Passwords must be text.", "password")
    row = await Account.select(Account.password_hash).where(Account.id == actor.id).first()
    if row is None or not await verify_password(row["password_hash"], current):
        raise InvalidInput("The current password is not right.", "current_password")
    check_password(new)
    new_hash = await hash_password(new)
    async with Account._meta.db.transaction():
        await Account.update({Account.password_hash: new_hash}).where(Account.id == actor.id)
        await end_all_access(actor.id)
        await record(actor.id, "account.password_changed", "account", actor.id)


async def set_active(actor: Actor, account_id: int, active: bool) -> AccountView:
    """A steward deactivates (or reactivates) an account; deactivating ends its sessions and tokens."""
    actor.require(Role.steward, Term("deactivate accounts"))
    if account_id == actor.id and not active:
        raise Conflict("A steward cannot deactivate their own account.")
    async with Account._meta.db.transaction():
        row = await Account.select(Account.is_active).where(Account.id == account_id).first()
        if row is None:
            raise NotFound("There is no account %(number)s.", number=str(account_id))
        if row["is_active"] != active:
            await Account.update({Account.is_active: active}).where(Account.id == account_id)
            if not active:
                await end_all_access(account_id)
            await record(
                actor.id, "account.activated" if active else "account.deactivated", "account", account_id
            )
            await announce(account_topic(account_id), GROUPS)  # who votes in its groups changes
    return await get_account(account_id)


async def update_profile(
    actor: Actor,
    *,
    display_name: object = None,
    organisation: object = None,
    department: object = None,
    territory_kinds: object = None,
) -> AccountView:
    """The signed-in person changes what they say about themself; only the fields given (not None)
    change, checked as at registration. department="" says none any more."""
    given = {
        "display_name": display_name,
        "organisation": organisation,
        "department": department,
        "territory_kinds": territory_kinds,
    }
    changes = _stored(_cleaned({name: value for name, value in given.items() if value is not None}))
    async with Account._meta.db.transaction():
        row = (
            await Account.select(
                Account.display_name, Account.organisation, Account.department, Account.territory_kinds
            )
            .where(Account.id == actor.id)
            .output(load_json=True)
            .first()
        )
        if row is None:
            raise NotFound("There is no account %(number)s.", number=str(actor.id))
        changed = {name: value for name, value in changes.items() if row[name] != value}
        if changed:
            await Account.update(changed).where(Account.id == actor.id)
            # The names of the fields only: a person's territory is shown in aggregates alone, and
            # the log keeps what it holds for good.
            await record(
                actor.id, "account.profile_changed", "account", actor.id, {"fields": sorted(changed)}
            )
            topics = await _pages_naming(actor.id) if "display_name" in changed else ()
            if changed.keys() & {"department", "territory_kinds"}:
                topics = (*topics, TERRITORIES)  # the participation figures of what they took part in
            await announce(account_topic(actor.id), *topics)  # who a session is, with its name
    return await get_account(actor.id)


async def _pages_naming(account_id: int) -> tuple[str, ...]:
    """The cached reads that show this account's name besides its own: the lists of proposals and
    working groups, and each debate it wrote, commented, moderated, voted or acted in."""
    sources = (
        Proposal.select(Proposal.id.as_alias("proposal")).where(Proposal.author == account_id),
        Comment.select(Comment.proposal).where(Comment.author == account_id),
        Comment.select(Comment.proposal).where(Comment.hidden_by == account_id),
        Ballot.select(Ballot.proposal).where(Ballot.voter == account_id),
        AuditEntry.select(AuditEntry.target_id.as_alias("proposal")).where(
            (AuditEntry.actor == account_id) & (AuditEntry.target_type == "proposal")
        ),
    )
    proposals = {row["proposal"] for query in sources for row in await query.distinct()}
    return (PROPOSALS, GROUPS, *(proposal_topic(number) for number in sorted(proposals)))
