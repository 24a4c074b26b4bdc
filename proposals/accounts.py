"""Accounts: registration, sign-in checks, roles."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from asyncpg.exceptions import UniqueViolationError

from proposals.access import end_all_access
from proposals.audit import record
from proposals.identities import normalise_email, person_text
from proposals.passwords import check_password, hash_password, verify_password
from proposals.roles import Actor, Role
from proposals.tables import Account, WorkingGroupMember
from proposals.topics import GROUPS, account_topic
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

    @property
    def actor(self) -> Actor:
        return Actor(self.id, self.role, self.display_name)


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
    )


_PUBLIC_COLUMNS = (
    Account.id,
    Account.email,
    Account.display_name,
    Account.organisation,
    Account.territory,
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
) -> AccountView:
    email = normalise_email(email)
    if not isinstance(password, str):
        raise InvalidInput("The password must be text.", "password")
    check_password(password)
    fields = {
        "display_name": person_text(display_name, "display_name", Term("The display name"), 100),
        "organisation": person_text(
            organisation or "", "organisation", Term("The organisation"), 200, required=False
        ),
        "territory": person_text(territory or "", "territory", Term("The territory"), 100, required=False),
    }
    submitted = Registration(email, **fields)
    # Outside the transaction (it takes a while), and for a taken address too: same time, same answer.
    password_hash = await hash_password(password)
    account = Account(
        email=email, password_hash=password_hash, role=role.value, created_at=datetime.now(UTC), **fields
    )
    try:
        async with Account._meta.db.transaction():
            if await Account.exists().where(Account.email == email):
                raise EmailTaken(submitted)
            await Account.insert(account)
            await record(account.id, "account.registered", "account", account.id, {"role": role.value})
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
    row = await Account.select(*_PUBLIC_COLUMNS, Account.password_hash).where(Account.email == email).first()
    ok = await verify_password(row["password_hash"] if row else None, password)
    if row is None or not ok or not row["is_active"]:
        return None
    return _view(row)


async def get_account(account_id: int) -> AccountView:
    row = await Account.select(*_PUBLIC_COLUMNS).where(Account.id == account_id).first()
    if row is None:
        raise NotFound("There is no account %(number)s.", number=str(account_id))
    groups = await WorkingGroupMember.select(
        WorkingGroupMember.working_group.as_alias("id"),
        WorkingGroupMember.working_group.name.as_alias("name"),
    ).where(WorkingGroupMember.account == account_id)
    return _view(row, tuple((g["id"], g["name"]) for g in groups))


async def list_accounts() -> list[AccountView]:
    rows = await Account.select(*_PUBLIC_COLUMNS).order_by(Account.display_name)
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
