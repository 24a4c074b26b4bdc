"""SQLite while the app serves (web/database.py): connections kept and taken again, never across a
replaced file; the writers of several workers take turns on a lock of the host."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading

import pytest
from piccolo.engine.sqlite import TransactionType

from indicators.tables import Framework
from proposals.tables import RateLimit
from tests.conftest import ON_POSTGRES, sqlite_file
from web.database import close_pool, engine, open_pool, write_turn
from web.sqlite_pool import HostTurn, sqlite_pool

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="SQLite's own connections and locks")


def connection_threads() -> int:
    return sum(1 for thread in threading.enumerate() if "_connection_worker_thread" in thread.name)


async def threads_down_to(count: int) -> int:
    """The connections' threads, once those of closed connections have ended (a moment after)."""
    for _ in range(100):
        if connection_threads() <= count:
            break
        await asyncio.sleep(0.02)
    return connection_threads()


async def test_connections_are_taken_again_and_closed_with_the_pool(db: None):
    before = connection_threads()
    await open_pool()
    try:
        async with engine().transaction():
            first = engine().current_transaction.get().connection.connection
        assert await Framework.count() == 1  # a statement outside a transaction: the same connection
        async with engine().transaction():
            assert engine().current_transaction.get().connection.connection is first
        async with write_turn():  # one statement under the writers' turn, in autocommit
            await RateLimit.delete().where(RateLimit.key == "nobody")
        assert len(sqlite_pool().idle) == 1
    finally:
        await close_pool()
    assert sqlite_pool() is None
    assert await threads_down_to(before) == before  # none left behind: the process can exit


async def test_several_at_once_get_connections_of_their_own(db: None):
    await open_pool()
    try:
        seen: list[object] = []

        async def hold() -> None:
            async with engine().transaction(TransactionType.deferred):  # reads: no turn to wait for
                seen.append(engine().current_transaction.get().connection.connection)
                await asyncio.sleep(0.05)

        await asyncio.gather(*(hold() for _ in range(3)))
        assert len({id(connection) for connection in seen}) == 3
        assert len(sqlite_pool().idle) == 3
    finally:
        await close_pool()


async def test_a_file_replaced_under_the_pool_is_opened_anew(db: None, tmp_path):
    """A connection opened on the file that was at the path before is not taken again."""
    path = sqlite_file()
    other = tmp_path / "other.db"
    source, copy = sqlite3.connect(path), sqlite3.connect(other)
    source.backup(copy)
    copy.execute("INSERT INTO rate_limit (key, window_start, hits) VALUES ('copy', '2026-01-01', 1)")
    copy.commit()
    source.close()
    copy.close()  # its log written back into the file
    await open_pool()
    try:
        assert await RateLimit.count() == 0
        for suffix in ("-wal", "-shm"):
            if os.path.exists(f"{path}{suffix}"):
                os.unlink(f"{path}{suffix}")
        os.replace(other, path)
        assert await RateLimit.count() == 1
    finally:
        await close_pool()


async def test_the_host_turn_wakes_the_next_writer_when_the_one_before_is_done(tmp_path):
    """Two turns on the same file stand for two workers (each its own open file)."""
    lock = str(tmp_path / "db.write-turn")
    first, second = HostTurn(lock), HostTurn(lock)
    try:
        await first.take()
        waiting = asyncio.create_task(second.take())
        await asyncio.sleep(0.1)
        assert not waiting.done()
        first.give()
        await asyncio.wait_for(waiting, 2)
        second.give()
    finally:
        first.close()
        second.close()


async def test_a_writer_that_gives_up_waiting_leaves_the_turn_to_the_others(tmp_path):
    lock = str(tmp_path / "db.write-turn")
    first, second, third = HostTurn(lock), HostTurn(lock), HostTurn(lock)
    try:
        await first.take()
        waiting = asyncio.create_task(second.take())
        await asyncio.sleep(0.1)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        first.give()  # the lock comes to the writer that left: its waiting thread lets it go
        await asyncio.wait_for(third.take(), 2)
        third.give()
    finally:
        for turn in (first, second, third):
            turn.close()
