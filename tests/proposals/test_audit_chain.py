"""The audit log's hash chain: `check_chain` and `referentiel verify` name the first altered entry."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from piccolo.engine import engine_finder

from proposals.audit import GENESIS, check_chain, entry_hash, record
from proposals.tables import AuditEntry
from tests.conftest import ON_POSTGRES
from tests.proposals.factories import add_proposal, make_account, make_steward

pytestmark = pytest.mark.usefixtures("db")


async def some_history(entries: int = 12) -> list[dict]:
    """Entries written as the application writes them; returns them in id order."""
    author = await make_account("Autrice")
    await add_proposal(author)
    steward = await make_steward()
    async with AuditEntry._meta.db.transaction():
        for number in range(entries - 1):
            await record(steward.id, "test.step", "proposal", 1, {"step": number, "note": "déjà vu"})
    return await AuditEntry.select().order_by(AuditEntry.id)


def verify() -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "verify"], capture_output=True, text=True, timeout=120
    )


async def tamper(sql: str) -> None:
    """What only someone with the database's own rights can do: switch the append-only guard off."""
    engine = engine_finder()
    if ON_POSTGRES:
        await engine.run_ddl("ALTER TABLE audit_log DISABLE TRIGGER audit_log_refuse_change")
        await engine.run_ddl(sql)
        await engine.run_ddl("ALTER TABLE audit_log ENABLE TRIGGER audit_log_refuse_change")
    else:
        await engine.run_ddl("DROP TRIGGER IF EXISTS audit_log_refuse_UPDATE")
        await engine.run_ddl("DROP TRIGGER IF EXISTS audit_log_refuse_DELETE")
        await engine.run_ddl(sql)


async def test_an_untouched_chain_holds_across_batches():
    entries = await some_history()
    assert entries[0]["prev_hash"] == GENESIS
    seen: list[tuple[int, str]] = []
    assert await check_chain(lambda checked, head: seen.append((checked, head)), batch_size=5) is None
    # Three batches (5 + 5 + the rest), each reported with the hash reached so far.
    assert [checked for checked, _ in seen] == [5, 10, len(entries)]
    assert seen[-1][1] == entries[-1]["entry_hash"]
    result = verify()
    assert result.returncode == 0, result.stderr
    assert f"audit log: {len(entries)} entries, hash chain intact, head {entries[-1]['entry_hash']}" in (
        result.stderr
    )


async def test_an_altered_entry_is_named_by_its_id():
    entries = await some_history()
    target = entries[7]
    await tamper(f"UPDATE audit_log SET detail = '{{\"step\": 99}}' WHERE id = {target['id']}")
    broken = await check_chain(batch_size=5)
    assert broken is not None
    assert (broken.id, broken.action) == (target["id"], "test.step")
    assert broken.at == target["at"]
    assert "entry_hash does not match its content" in broken.reason
    result = verify()
    assert result.returncode == 1
    at = target["at"].strftime("%Y-%m-%d %H:%M:%S")
    assert f"BROKEN    audit log entry {target['id']} (test.step, {at} UTC)" in result.stderr
    assert "1 release(s) checked, 0 mismatch(es)" in result.stderr  # releases are checked all the same


async def test_a_rewritten_entry_with_a_recomputed_hash_breaks_the_next_link():
    entries = await some_history()
    forged, following = entries[4], entries[5]
    detail = {"step": 3, "note": "falsifié"}
    new_hash = entry_hash(
        forged["prev_hash"], forged["at"], forged["actor"], forged["action"], ("proposal", 1), detail
    )
    body = json.dumps(detail, ensure_ascii=False).replace("'", "''")
    await tamper(
        f"UPDATE audit_log SET detail = '{body}', entry_hash = '{new_hash}' WHERE id = {forged['id']}"
    )
    broken = await check_chain(batch_size=5)  # the forged entry is the last of a batch
    assert broken is not None and broken.id == following["id"]
    assert "prev_hash" in broken.reason
    result = verify()
    assert result.returncode == 1 and f"audit log entry {following['id']} " in result.stderr


async def test_a_deleted_entry_is_noticed_at_the_next_one():
    entries = await some_history()
    await tamper(f"DELETE FROM audit_log WHERE id = {entries[2]['id']}")
    broken = await check_chain()
    assert broken is not None and broken.id == entries[3]["id"]


async def test_a_removed_first_entry_is_noticed():
    entries = await some_history()
    await tamper(f"DELETE FROM audit_log WHERE id = {entries[0]['id']}")
    broken = await check_chain()
    assert broken is not None and broken.id == entries[1]["id"]
    assert "GENESIS" in broken.reason
