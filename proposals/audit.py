"""The append-only audit log, hash-chained in streams: each entry carries the hash of the one before
it in its stream, and its number there (`seq`, from 1).

`record` is called inside the transaction of the change it describes, so the change and its
trace are written together or not at all. A transaction writes all its entries to one stream, which
it holds until it ends (an advisory lock on PostgreSQL, the first stream no other transaction holds):
so concurrent writers append to different streams instead of queueing behind one chain, and within a
stream the entries follow the order of their commits. A unique (stream, seq) index refuses a fork.
Stream 0 is the single chain written before streams (seq None): the first entry of every other
stream links to its last entry (GENESIS when it is empty), so nothing written before can be removed
unseen. Without concurrent writers every entry goes to stream 1: one chain, as before.

`check_chain` walks the log and names the first entry that does not hold (`referentiel verify` calls it).
Like any hash chain kept beside what it protects, it cannot tell that the last entries of a stream
were removed: the heads are what to keep elsewhere.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from proposals.tables import AuditEntry
from web.database import lock_free_key, transaction_memo

GENESIS = "0" * 64
# The advisory locks' namespace on PostgreSQL: a transaction holds the stream it writes to (SQLite's
# write lock serialises the writers already: they all write to stream 1).
AUDIT_LOCK = 2
# More than the connections that can write at once (each worker's pool of 10, on a few hosts), so a
# writer finds one free. Changing it later is safe: `check_chain` follows the streams entries name.
AUDIT_STREAMS = 64
BEFORE_STREAMS = 0  # the stream of the entries written before streams


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


@dataclass(frozen=True)
class Entry:
    """What an entry says: who did what to which target."""

    actor: int | None
    action: str
    target_type: str
    target_id: int
    detail: dict = field(default_factory=dict)


# Written by hand: Piccolo took longer to build an insert of many rows than the database to run it.
_INSERT = """
INSERT INTO audit_log (at, actor, action, target_type, target_id, detail, prev_hash, entry_hash, stream, seq)
VALUES ROWS
"""
_ROW = "({}, {}, {}, {}, {}, {}, {}, {}, {}, {})"


async def record(
    actor: int | None, action: str, target_type: str, target_id: int, detail: dict | None = None
) -> None:
    await record_many([Entry(actor, action, target_type, target_id, detail or {})])


async def record_many(entries: Sequence[Entry]) -> None:
    """Append the entries, in their order, in one statement (proposals/ballot_box.py writes the
    ballots of many requests at once)."""
    if not entries:
        return
    async with AuditEntry._meta.db.transaction():  # the caller's, or its own
        memo = transaction_memo()
        if "audit_stream" not in memo:
            memo["audit_stream"] = await lock_free_key(AUDIT_LOCK, AUDIT_STREAMS)
        stream = memo["audit_stream"]
        last = (
            await AuditEntry.select(AuditEntry.seq, AuditEntry.entry_hash)
            .where(AuditEntry.stream == stream)
            .order_by(AuditEntry.seq, ascending=False)
            .first()
        )
        prev_hash, seq = (last["entry_hash"], last["seq"] + 1) if last else (await _head_before_streams(), 1)
        at = datetime.now(UTC).replace(microsecond=0)
        values: list[object] = []
        for entry in entries:
            target = (entry.target_type, entry.target_id)
            linked = entry_hash(prev_hash, at, entry.actor, entry.action, target, entry.detail)
            values += [at, entry.actor, entry.action, *target, json.dumps(entry.detail), prev_hash, linked]
            values += [stream, seq]
            prev_hash, seq = linked, seq + 1
        await AuditEntry.raw(_INSERT.replace("ROWS", ", ".join([_ROW] * len(entries))), *values)


async def _head_before_streams() -> str:
    """The last entry written before streams, where every stream starts (once per stream)."""
    last = (
        await AuditEntry.select(AuditEntry.entry_hash)
        .where(AuditEntry.stream == BEFORE_STREAMS)
        .order_by(AuditEntry.id, ascending=False)
        .first()
    )
    return last["entry_hash"] if last else GENESIS


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

    An entry holds when it follows the entry before it in its stream: the next number (seq), and
    its prev_hash is that entry's entry_hash (for the first entry of a stream, the last entry written
    before streams, or GENESIS), and its entry_hash is the hash of its own content. Rows are read in
    batches of `batch_size` (keyset pagination on id: one query per batch, never one per row);
    `progress(entries checked, entry_hash of the last one)` is called after each batch.
    """
    chain = _Streams()
    checked, after_id = 0, 0
    columns = (AuditEntry.id, AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.target_type)
    while True:
        rows = (
            await AuditEntry.select(
                *columns,
                AuditEntry.target_id,
                AuditEntry.detail,
                AuditEntry.prev_hash,
                AuditEntry.entry_hash,
                AuditEntry.stream,
                AuditEntry.seq,
            )
            .where(AuditEntry.id > after_id)
            .order_by(AuditEntry.id)
            .limit(batch_size)
        )
        for row in rows:
            broken = chain.follow(row)
            if broken is not None:
                return broken
        checked += len(rows)
        if progress is not None and rows:
            progress(checked, rows[-1]["entry_hash"])
        if len(rows) < batch_size:
            return None
        after_id = rows[-1]["id"]


class _Streams:
    """The head of each stream met so far, while the log is walked in id order."""

    def __init__(self) -> None:
        self.before = GENESIS  # the head of the chain written before streams
        self.heads: dict[int, tuple[int, str]] = {}  # stream: (seq, entry_hash) of its last entry

    def follow(self, row: dict) -> BrokenLink | None:
        at = row["at"] if row["at"].tzinfo else row["at"].replace(tzinfo=UTC)
        stream, seq = row["stream"], row["seq"]
        if (stream == BEFORE_STREAMS) != (seq is None):
            return BrokenLink(
                row["id"], row["action"], at, f"its stream ({stream}) and number ({seq}) do not agree"
            )
        if seq is None and self.heads:
            reason = "it is written as before streams, after entries of streams (it was inserted)"
            return BrokenLink(row["id"], row["action"], at, reason)
        last_seq, previous = (None, self.before) if seq is None else self.heads.get(stream, (0, self.before))
        if row["prev_hash"] != previous:
            reason = (
                "its prev_hash is not the entry_hash of the entry before it "
                "(an entry was removed, inserted or rewritten before it)"
                if previous != GENESIS
                else "the first entry does not start from GENESIS"
            )
            return BrokenLink(row["id"], row["action"], at, reason)
        if seq is not None and seq != last_seq + 1:
            reason = f"it is number {seq} of stream {stream}, after number {last_seq} (it was renumbered)"
            return BrokenLink(row["id"], row["action"], at, reason)
        detail = row["detail"]
        if isinstance(detail, str | bytes):
            detail = json.loads(detail)
        target = (row["target_type"], row["target_id"])
        if entry_hash(row["prev_hash"], at, row["actor"], row["action"], target, detail) != row["entry_hash"]:
            return BrokenLink(row["id"], row["action"], at, "its entry_hash does not match its content")
        if seq is None:
            self.before = row["entry_hash"]
        else:
            self.heads[stream] = (seq, row["entry_hash"])
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
