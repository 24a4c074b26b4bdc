"""Signed-in browsers (sessions) and API clients (tokens).

Cookies and tokens carry random secrets; the database keeps only their SHA-256, so a leaked
copy of the database opens no session. Every worker sees the same sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from piccolo.columns import Column

from proposals.audit import record
from proposals.roles import Actor, Role
from proposals.tables import ApiToken, Session
from proposals.topics import account_topic
from web.batches import Batches, Waiting
from web.changes import announce
from web.database import in_transaction, write_turn
from web.failures import NotFound

SESSION_LIFETIME = timedelta(days=14)
TOKEN_LIFETIME = timedelta(days=90)
LAST_USE_PRECISION = timedelta(minutes=5)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


async def start_session(account_id: int) -> str:
    """A fresh session (a new secret at every sign-in: no fixation). Returns the cookie value."""
    secret = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    await Session.insert(
        Session(
            token_hash=_digest(secret), account=account_id, created_at=now, expires_at=now + SESSION_LIFETIME
        )
    )
    return secret


async def end_session(secret: str) -> None:
    async with Session._meta.db.transaction():
        ended = await Session.delete().where(Session.token_hash == _digest(secret)).returning(Session.account)
        if ended:
            await announce(account_topic(ended[0]["account"]))


async def end_all_access(account_id: int) -> None:
    """Every browser signed in as the account, and every API token of it, stop working."""
    await Session.delete().where(Session.account == account_id)
    await ApiToken.delete().where(ApiToken.account == account_id)
    await announce(account_topic(account_id))


async def _actor(table: type[Session] | type[ApiToken], secret: str, *extra: Column) -> dict | None:
    """The active account holding `secret` in `table`, with `extra` columns of the row."""
    account = table.account
    row = (
        await table.select(
            account.id.as_alias("id"),
            account.role.as_alias("role"),
            account.display_name.as_alias("display_name"),
            account.is_active.as_alias("is_active"),
            *extra,
        )
        .where(table.token_hash == _digest(secret))
        .first()
    )
    return row if row is not None and row["is_active"] else None


async def actor_for_session(secret: str) -> Actor | None:
    row = await _actor(Session, secret, Session.expires_at)
    if row is None or row["expires_at"] < datetime.now(UTC):
        return None
    return Actor(row["id"], Role(row["role"]), row["display_name"])


async def create_api_token(account_id: int, lifetime: timedelta = TOKEN_LIFETIME) -> str:
    """A new API token for the account, working for `lifetime` (unless revoked). Returns its secret,
    shown once: only its hash is kept."""
    secret = "rv_" + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    async with ApiToken._meta.db.transaction():
        token = ApiToken(
            token_hash=_digest(secret), account=account_id, created_at=now, expires_at=now + lifetime
        )
        await ApiToken.insert(token)
        await record(account_id, "token.created", "account", account_id, {"token": token.id})
    return secret


@dataclass(frozen=True)
class TokenView:
    """An API token as its owner sees it (never the token itself)."""

    id: int
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None


_TOKEN_COLUMNS = (ApiToken.id, ApiToken.created_at, ApiToken.expires_at, ApiToken.last_used_at)


async def describe_token(secret: str) -> TokenView:
    row = await ApiToken.select(*_TOKEN_COLUMNS).where(ApiToken.token_hash == _digest(secret)).first()
    if row is None:
        raise NotFound("There is no such API token.")
    return TokenView(**row)


async def list_tokens(account_id: int) -> list[TokenView]:
    """The account's tokens that still work, newest first."""
    rows = (
        await ApiToken.select(*_TOKEN_COLUMNS)
        .where((ApiToken.account == account_id) & (ApiToken.expires_at > datetime.now(UTC)))
        .order_by(ApiToken.id, ascending=False)
    )
    return [TokenView(**row) for row in rows]


async def revoke_token(actor: Actor, token_id: int) -> None:
    """The owner revokes one of their tokens: it stops working at once, in every worker. Another
    account's token is not found (its existence is not told)."""
    async with ApiToken._meta.db.transaction():
        revoked = (
            await ApiToken.delete()
            .where((ApiToken.id == token_id) & (ApiToken.account == actor.id))
            .returning(ApiToken.id)
        )
        if not revoked:
            raise NotFound("You have no API token number %(number)s.", number=str(token_id))
        await record(actor.id, "token.revoked", "account", actor.id, {"token": token_id})
        await announce(account_topic(actor.id))


async def actor_for_token(secret: str) -> Actor | None:
    """The account of a token that has not expired. Its last use is written at most every
    LAST_USE_PRECISION (this runs when a worker does not know the token yet, not at every request)."""
    row = await _actor(
        ApiToken, secret, ApiToken.id.as_alias("token_id"), ApiToken.expires_at, ApiToken.last_used_at
    )
    now = datetime.now(UTC)
    if row is None or row["expires_at"] is None or row["expires_at"] <= now:
        return None
    if row["last_used_at"] is None or row["last_used_at"] < now - LAST_USE_PRECISION:
        use = _Use(row["token_id"], now)
        await (_uses.write_alone(use) if in_transaction() else _uses.submit(use))
    return Actor(row["id"], Role(row["role"]), row["display_name"])


@dataclass(eq=False)
class _Use(Waiting):
    token_id: int
    at: datetime


async def _write_uses(batch: list[_Use]) -> None:
    """The last uses of the tokens first seen at once, in one statement (web/batches.py): a client
    with many tokens (one per member it acts for) would otherwise write once per token."""
    async with write_turn():
        await ApiToken.update({ApiToken.last_used_at: max(use.at for use in batch)}).where(
            ApiToken.id.is_in(sorted({use.token_id for use in batch}))
        )
    for use in batch:
        use.done.set_result(None)


_uses = Batches(_write_uses)
