"""Signed-in browsers (sessions) and API clients (tokens).

Cookies and tokens carry random secrets; the database keeps only their SHA-256, so a leaked
copy of the database opens no session. Every worker sees the same sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from piccolo.columns import Column

from proposals.audit import record
from proposals.roles import Actor, Role
from proposals.tables import ApiToken, Session
from proposals.topics import account_topic
from web.changes import announce

SESSION_LIFETIME = timedelta(days=14)


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


async def create_api_token(account_id: int) -> str:
    secret = "rv_" + secrets.token_urlsafe(32)
    async with ApiToken._meta.db.transaction():
        await ApiToken.insert(
            ApiToken(token_hash=_digest(secret), account=account_id, created_at=datetime.now(UTC))
        )
        await record(account_id, "token.created", "account", account_id)
    return secret


async def actor_for_token(secret: str) -> Actor | None:
    row = await _actor(ApiToken, secret)
    return None if row is None else Actor(row["id"], Role(row["role"]), row["display_name"])
