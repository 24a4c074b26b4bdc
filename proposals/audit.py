"""The append-only audit log, hash-chained: each entry carries the hash of the one before.

`record` is called inside the transaction of the change it describes, so the change and its
trace are written together or not at all.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from piccolo.engine import engine_finder

from proposals.tables import AuditEntry

GENESIS = "0" * 64
# Any constant: PostgreSQL serialises writers of the chain on it (SQLite's write lock does already).
AUDIT_LOCK = 7_411_002


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
    engine = engine_finder()
    if engine.engine_type == "postgres":
        await AuditEntry.raw("SELECT pg_advisory_xact_lock({})", AUDIT_LOCK)
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
