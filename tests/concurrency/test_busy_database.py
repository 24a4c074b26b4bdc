"""SQLite's "database is locked", past the busy timeout, is a deliberate 503 with Retry-After:
never a 500, and nothing of the refused request is stored."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest
from piccolo.engine import engine_finder

from proposals.access import create_api_token
from proposals.accounts import register_account
from proposals.proposing import create_proposal
from proposals.tables import Comment
from tests.conftest import ON_POSTGRES, sqlite_file
from tests.constants import PASSWORD, SLUG
from web.database import close_pool, open_pool
from web.sqlite_pool import sqlite_pool

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="SQLite's whole-file write lock")


async def test_a_write_that_waits_past_the_busy_timeout_gets_503(client, monkeypatch):
    author = await register_account("auteur@example.org", PASSWORD, "Auteur")
    headers = {"Authorization": f"Bearer {await create_api_token(author.id)}"}
    proposal = await create_proposal(
        author.actor,
        SLUG,
        "amend",
        "latest",
        "Préciser REC-1",
        "Plus clair.",
        indicator="REC-1",
        content={"statement": "Un nouvel énoncé."},
    )
    # Wait 0.3 s instead of 30 for the lock another process holds (a setting of the connections: the
    # app's pool opens them anew).
    monkeypatch.setitem(engine_finder().connection_kwargs, "timeout", 0.3)
    await close_pool()
    await open_pool()
    holder = sqlite3.connect(sqlite_file(), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        response = await client.post(
            f"/api/v1/proposals/{proposal.id}/comments", headers=headers, json={"body": "Bloqué"}
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    print(f"\n[sqlite] a comment behind a lock held past the busy timeout: {response.status_code}")
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "2"
    assert response.json()["detail"] == "The database is busy: try again in a moment."
    assert await Comment.count() == 0
    # The refused transaction's connection went back to the pool, its transaction over: no other
    # aiosqlite thread is left running (one would keep the worker from ever exiting).
    idle = sqlite_pool().idle
    assert not any(connection.in_transaction for connection, _file in idle)
    assert await _sqlite_threads_end(leaving=len(idle))
    again = await client.post(
        f"/api/v1/proposals/{proposal.id}/comments", headers=headers, json={"body": "Plus tard"}
    )
    assert again.status_code == 201


async def _sqlite_threads_end(leaving: int, within: float = 2.0) -> bool:
    for _ in range(int(within / 0.05)):
        if sum("_connection_worker_thread" in t.name for t in threading.enumerate()) <= leaving:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_other_sqlite_errors_stay_500(client, monkeypatch):
    async def broken(*args, **kwargs):
        raise sqlite3.OperationalError("no such table: comment")

    monkeypatch.setattr("proposals.routes.api.list_comments", broken)
    response = await client.get("/api/v1/proposals/1/comments")
    assert response.status_code == 500
    assert "Retry-After" not in response.headers
