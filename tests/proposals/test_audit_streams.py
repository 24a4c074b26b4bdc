"""The audit log's streams: concurrent writers append to different streams, and `check_chain` (so
`referentiel verify`) names the entry where one was altered, had an entry removed or was reordered;
the log written before streams keeps verifying, and every stream starts from its last entry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from proposals.audit import BEFORE_STREAMS, GENESIS, check_chain, entry_hash, record
from proposals.tables import AuditEntry
from tests.conftest import ON_POSTGRES
from tests.proposals.test_audit_chain import tamper, verify
from web.database import transaction_memo

pytestmark = pytest.mark.usefixtures("db")


async def write(stream: int, step: int) -> None:
    """One entry in `stream`, as a transaction that was given that stream writes it."""
    async with AuditEntry._meta.db.transaction():
        transaction_memo()["audit_stream"] = stream
        await record(None, "test.step", "proposal", 1, {"step": step})


async def interleaved(entries: int = 12, streams: int = 3) -> list[dict]:
    """Entries written in turn to streams 1..`streams`; returns them in id order."""
    for step in range(entries):
        await write(1 + step % streams, step)
    return await AuditEntry.select().order_by(AuditEntry.id)


def of_stream(entries: list[dict], stream: int) -> list[dict]:
    return [entry for entry in entries if entry["stream"] == stream]


async def test_interleaved_streams_hold_each_its_own_chain():
    entries = await interleaved()
    for stream in (1, 2, 3):
        own = of_stream(entries, stream)
        assert [entry["seq"] for entry in own] == [1, 2, 3, 4]
        assert own[0]["prev_hash"] == GENESIS
        assert [entry["prev_hash"] for entry in own[1:]] == [entry["entry_hash"] for entry in own[:-1]]
    assert await check_chain(batch_size=5) is None


async def test_an_altered_entry_in_the_middle_of_a_stream_is_named():
    entries = await interleaved()
    target = of_stream(entries, 2)[1]
    await tamper(f"UPDATE audit_log SET detail = '{{\"step\": 99}}' WHERE id = {target['id']}")
    broken = await check_chain(batch_size=5)
    assert broken is not None and broken.id == target["id"]
    assert "entry_hash does not match its content" in broken.reason
    result = verify()
    assert result.returncode == 1 and f"BROKEN    audit log entry {target['id']} (test.step" in result.stderr


async def test_a_deleted_entry_is_noticed_at_the_next_entry_of_its_stream():
    entries = await interleaved()
    removed, following = of_stream(entries, 2)[1:3]
    await tamper(f"DELETE FROM audit_log WHERE id = {removed['id']}")
    broken = await check_chain(batch_size=5)
    # Not the next entry by id (it is in stream 3 and holds): the next one of stream 2.
    assert broken is not None and broken.id == following["id"]
    assert "prev_hash" in broken.reason
    result = verify()
    assert result.returncode == 1 and f"audit log entry {following['id']} " in result.stderr


async def test_two_entries_of_a_stream_swapped_are_noticed_at_the_first_place():
    entries = await interleaved()
    first, second = of_stream(entries, 2)[1:3]
    a, b = first["id"], second["id"]
    for sql in (
        f"UPDATE audit_log SET id = -{a} WHERE id = {a}",
        f"UPDATE audit_log SET id = {a} WHERE id = {b}",
        f"UPDATE audit_log SET id = {b} WHERE id = -{a}",
    ):
        await tamper(sql)
    broken = await check_chain()
    assert broken is not None and broken.id == a  # where the later entry now stands
    assert "prev_hash" in broken.reason


async def test_a_renumbered_entry_is_noticed():
    entries = await interleaved()
    last = of_stream(entries, 3)[-1]
    await tamper(f"UPDATE audit_log SET seq = {last['seq'] + 1} WHERE id = {last['id']}")
    broken = await check_chain()
    assert broken is not None and broken.id == last["id"]
    assert "renumbered" in broken.reason


async def test_the_log_written_before_streams_keeps_verifying_and_streams_start_from_it():
    previous, before = GENESIS, []
    for step in range(3):  # as the single chain wrote them: stream 0, no number
        at = datetime(2026, 11, 30, 12, step, tzinfo=UTC)
        entry = AuditEntry(
            at=at,
            actor=None,
            action="old.step",
            target_type="proposal",
            target_id=1,
            detail={"step": step},
            prev_hash=previous,
            entry_hash=entry_hash(previous, at, None, "old.step", ("proposal", 1), {"step": step}),
            stream=BEFORE_STREAMS,
            seq=None,
        )
        await AuditEntry.insert(entry)
        previous = entry.entry_hash
        before.append(entry.id)
    await interleaved(entries=4, streams=2)
    firsts = await AuditEntry.select().where(AuditEntry.seq == 1).order_by(AuditEntry.stream)
    assert [entry["prev_hash"] for entry in firsts] == [previous, previous]
    assert await check_chain() is None
    # The last entry written before streams removed: the first entry of the first stream says so.
    await tamper(f"DELETE FROM audit_log WHERE id = {before[-1]}")
    broken = await check_chain()
    assert broken is not None and broken.id == firsts[0]["id"]


@pytest.mark.skipif(not ON_POSTGRES, reason="SQLite serialises writers: they all write to stream 1")
async def test_concurrent_transactions_write_to_different_streams():
    holding, done = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        async with AuditEntry._meta.db.transaction():
            await record(None, "test.slow", "proposal", 1, {})
            holding.set()
            await done.wait()  # its stream stays held until it commits
            await record(None, "test.slow", "proposal", 1, {"again": True})

    async def quick() -> None:
        await holding.wait()
        await record(None, "test.quick", "proposal", 2, {})
        await record(None, "test.quick", "proposal", 2, {"again": True})
        done.set()

    await asyncio.gather(slow(), quick())
    entries = await AuditEntry.select(AuditEntry.action, AuditEntry.stream, AuditEntry.seq).order_by(
        AuditEntry.id
    )
    streams = {entry["action"]: set() for entry in entries}
    for entry in entries:
        streams[entry["action"]].add(entry["stream"])
    # The slow transaction's two entries in one stream; the quick ones (each its own transaction)
    # in another, free, stream.
    assert len(streams["test.slow"]) == 1 and not streams["test.slow"] & streams["test.quick"]
    assert await check_chain() is None
