"""The append-only audit log, hash-chained: each entry carries the hash of the one before.

`record` is called inside the transaction of the change it describes, so the change and its
trace are written together or not at all. `check_chain` walks the log and names the first entry
that does not hold (`referentiel verify` calls it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from proposals.tables import AuditEntry
from web.database import lock_key

GENESIS = "0" * 64
# The advisory lock's namespace on PostgreSQL: writers of the chain one at a time (SQLite's write
# lock serialises them already).
AUDIT_LOCK = 2


def entry_hash(
    prev_hash: str, at: datetime, actor: int | None, action: str, target: tuple[str, int], detail: dict
) -> str:
    canonical = json.dumps(
        {
            "prev": prev_hash,
            "at": at.astimezone(UTC).isoformat(),
            "actor": actor,
            "action": action,
            "target": list(target),
            "detail": detail,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


async def record(
    actor: int | None, action: str, target_type: str, target_id: int, detail: dict | None = None
) -> None:
    await lock_key(AUDIT_LOCK, 0)
    last = await AuditEntry.select(AuditEntry.entry_hash).order_by(AuditEntry.id, ascending=False).first()
    prev_hash = last["entry_hash"] if last else GENESIS
    at = datetime.now(UTC).replace(microsecond=0)
    detail = detail or {}
    await AuditEntry.insert(
        AuditEntry(
            at=at,
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=target_id,
            detail=detail,
            prev_hash=prev_hash,
            entry_hash=entry_hash(prev_hash, at, actor, action, (target_type, target_id), detail),
        )
    )


@dataclass(frozen=True)
class BrokenLink:
    """The first entry of the log that does not hold: where the chain was altered."""

    id: int
    action: str
    at: datetime
    reason: str


CHAIN_BATCH = 1000


async def check_chain(
    progress: Callable[[int, str], None] | None = None, batch_size: int = CHAIN_BATCH
) -> BrokenLink | None:
    """Walk the whole log in id order; None if every link holds, else the first broken entry.

    An entry holds when its prev_hash is the entry_hash of the entry before it (GENESIS for the
    first) and its entry_hash is the hash of its own content. Rows are read in batches of
    `batch_size` (keyset pagination on id: one query per batch, never one per row);
    `progress(entries checked, entry_hash of the last one)` is called after each batch.
    """
    previous, checked, after_id = GENESIS, 0, 0
    columns = (AuditEntry.id, AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.target_type)
    while True:
        rows = (
            await AuditEntry.select(
                *columns, AuditEntry.target_id, AuditEntry.detail, AuditEntry.prev_hash, AuditEntry.entry_hash
            )
            .where(AuditEntry.id > after_id)
            .order_by(AuditEntry.id)
            .limit(batch_size)
        )
        for row in rows:
            broken = _broken(row, previous)
            if broken is not None:
                return broken
            previous = row["entry_hash"]
        checked += len(rows)
        if progress is not None and rows:
            progress(checked, previous)
        if len(rows) < batch_size:
            return None
        after_id = rows[-1]["id"]


def _broken(row: dict, previous: str) -> BrokenLink | None:
    at = row["at"] if row["at"].tzinfo else row["at"].replace(tzinfo=UTC)
    if row["prev_hash"] != previous:
        reason = (
            "its prev_hash is not the entry_hash of the entry before it "
            "(an entry was removed, inserted or rewritten before it)"
            if previous != GENESIS
            else "the first entry does not start from GENESIS"
        )
        return BrokenLink(row["id"], row["action"], at, reason)
    detail = row["detail"]
    if isinstance(detail, str | bytes):
        detail = json.loads(detail)
    target = (row["target_type"], row["target_id"])
    if entry_hash(row["prev_hash"], at, row["actor"], row["action"], target, detail) != row["entry_hash"]:
        return BrokenLink(row["id"], row["action"], at, "its entry_hash does not match its content")
    return None


@dataclass(frozen=True)
class AuditLine:
    id: int
    at: datetime
    actor: str | None
    action: str
    target_type: str
    target_id: int
    detail: dict
    entry_hash: str


async def audit_lines(page_number: int, per_page: int) -> tuple[list[AuditLine], int]:
    """One page of the audit log, newest first, and how many entries it holds. Two queries."""
    total = await AuditEntry.count()
    rows = (
        await AuditEntry.select(
            AuditEntry.id,
            AuditEntry.at,
            AuditEntry.actor.display_name.as_alias("actor_name"),
            AuditEntry.action,
            AuditEntry.target_type,
            AuditEntry.target_id,
            AuditEntry.detail,
            AuditEntry.entry_hash,
        )
        .order_by(AuditEntry.id, ascending=False)
        .limit(per_page)
        .offset((page_number - 1) * per_page)
        .output(load_json=True)
    )
    lines = [
        AuditLine(
            id=row["id"],
            at=row["at"],
            actor=row["actor_name"],
            action=row["action"],
            target_type=row["target_type"],
            target_id=row["target_id"],
            detail=row["detail"] if isinstance(row["detail"], dict) else {},
            entry_hash=row["entry_hash"],
        )
        for row in rows
    ]
    return lines, total
