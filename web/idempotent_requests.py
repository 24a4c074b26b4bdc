"""Requests sent with an idempotency key, as the database keeps them (web/tables.py), so that every
worker of every host sees the same claims and answers, and a host that dies leaves them behind.

A request first claims its (owner, key) in a statement of its own, committed at once; the
transaction of its change then marks the claim applied (`mark_applied`, through
web/database.py `before_commit`), so the mark and the change commit together or not at all; its
answer is stored last. Between the commit and the answer a retry waits, for a short grace at most:
past it, the host that applied the request has died without its answer, and the retry is told so.
Nothing runs twice.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from web.database import after_commit
from web.failures import Conflict
from web.tables import IdempotentRequest as Row

# A claim not applied is another request's after this (its host may have died before committing).
LEASE = timedelta(seconds=60)
# An applied claim's answer is due by then; shorter than a retry's wait (web/idempotency.py
# WAIT_SECONDS), so that a retry after a host died past its commit learns it in one request.
ANSWER_GRACE = timedelta(seconds=3)
# Keys are kept at least 24 hours (the API contract); the decision loop forgets them after 48.
KEEP = timedelta(hours=48)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes | None  # None: not kept (it held a secret)


@dataclass
class Claim:
    """This request holds the key: it runs, then stores its answer."""

    id: int
    holder: str
    applied: bool = False  # a transaction that marked it has committed
    answered: bool = field(default=False)  # its answer is on its way: later commits mark nothing


@dataclass(frozen=True)
class Found:
    """The key is held by an earlier request (or a request running now)."""

    id: int
    holder: str
    fingerprint: str
    applied: bool
    lease_until: datetime
    answer: Answer | None

    @property
    def lease_expired(self) -> bool:
        return self.lease_until <= datetime.now(UTC)


def _now_and_lease() -> tuple[datetime, datetime]:
    now = datetime.now(UTC)
    return now, now + LEASE


def _answer(row: dict) -> Answer | None:
    if row["status"] is None:
        return None
    body = base64.b64decode(row["body"]) if row["body"] is not None else None
    return Answer(row["status"], [tuple(pair) for pair in json.loads(row["headers"])], body)


async def claim(owner: str, key: str, fingerprint: str) -> Claim | Found | None:
    """The key claimed for this request, or the request that holds it already (None: it was just
    released, ask again)."""
    holder = secrets.token_hex(16)
    now, lease_until = _now_and_lease()
    new = Row(
        owner=owner, key=key, fingerprint=fingerprint, holder=holder, lease_until=lease_until, created_at=now
    )
    inserted = (
        await Row.insert(new).on_conflict(target=(Row.owner, Row.key), action="DO NOTHING").returning(Row.id)
    )
    if inserted:
        return Claim(inserted[0]["id"], holder)
    row = await Row.select().where((Row.owner == owner) & (Row.key == key)).first()
    if row is None:
        return None
    return Found(
        row["id"], row["holder"], row["fingerprint"], row["applied"], row["lease_until"], _answer(row)
    )


async def take_over(found: Found) -> Claim | None:
    """The claim of a request whose lease expired before anything was applied, for this request
    (None: another retry was quicker, or it was applied meanwhile)."""
    holder = secrets.token_hex(16)
    taken = (
        await Row.update({Row.holder: holder, Row.lease_until: _now_and_lease()[1]})
        .where(
            (Row.id == found.id) & (Row.holder == found.holder) & Row.applied.eq(False) & Row.status.is_null()
        )
        .returning(Row.id)
    )
    return Claim(found.id, holder) if taken else None


async def mark_applied(claim: Claim) -> None:
    """Inside the transaction of the request's change, just before it commits. A claim taken over
    by a retry (this request outlived its lease) refuses the change: it rolls back, and only the
    retry applies it."""
    if claim.answered:
        return
    marked = (
        await Row.update({Row.applied: True, Row.lease_until: datetime.now(UTC) + ANSWER_GRACE})
        .where((Row.id == claim.id) & (Row.holder == claim.holder))
        .returning(Row.id)
    )
    if not marked:
        raise Conflict(
            "This request took so long that a retry with the same Idempotency-Key took its place: "
            "it changed nothing."
        )
    after_commit(lambda: setattr(claim, "applied", True))


async def store_answer(claim: Claim, answer: Answer) -> None:
    body = base64.b64encode(answer.body).decode("ascii") if answer.body is not None else None
    await Row.update(
        {Row.status: answer.status, Row.headers: json.dumps(answer.headers), Row.body: body}
    ).where((Row.id == claim.id) & (Row.holder == claim.holder))


async def release(claim: Claim) -> None:
    """The key is free again: nothing was applied, and the answer is not one to repeat."""
    await Row.delete().where((Row.id == claim.id) & (Row.holder == claim.holder) & Row.applied.eq(False))


async def forget_old_requests() -> None:
    await Row.delete().where(Row.created_at < datetime.now(UTC) - KEEP)
