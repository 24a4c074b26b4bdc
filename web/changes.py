"""Changes announced by the use cases that write, heard by the caches of every worker on every host.

A use case calls `announce(topic, ...)` inside the transaction of its write, naming what it touched
("proposal:12"). Every worker then learns it:
- PostgreSQL: a NOTIFY, which PostgreSQL delivers to every listening connection (each worker of
  each host keeps one) when the transaction commits, and never if it rolls back.
- SQLite (one host): a row of change_event, written in the same transaction, which each worker
  polls every POLL_SECONDS.
The worker that wrote also applies it to its own caches as soon as the transaction commits, so that
it shows its own writes at once. Only a write that succeeded is announced: a refused request
changes nothing and empties no cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import weakref
from collections.abc import Iterable
from datetime import UTC, datetime

import asyncpg
from piccolo.querystring import QueryString

from web.cache import Generations
from web.database import after_commit, engine, is_postgres, postgres_dsn, sqlite_path
from web.tables import ChangeEvent

log = logging.getLogger("referentiel.changes")

CHANNEL = "referentiel_changes"
POLL_SECONDS = 0.05
# change_event keeps the last rows only: a worker that missed more treats everything as changed.
# Trimmed once every TRIM_EVERY events, not at each: a statement less in most write transactions.
KEEP_EVENTS = 10_000
TRIM_EVERY = 100
# A listening PostgreSQL connection is checked this often, and made again when it is lost.
KEEPALIVE_SECONDS = 10.0
RECONNECT_SECONDS = 1.0
READY_TIMEOUT = 10.0

# The generations of the caches living in this process (one per app), told of this process's own
# writes as soon as they commit.
_local: weakref.WeakSet[Generations] = weakref.WeakSet()


def attach(generations: Generations) -> None:
    _local.add(generations)


def _tell_local(topics: tuple[str, ...]) -> None:
    for generations in list(_local):
        generations.changed(topics)


async def announce(*topics: str) -> None:
    """Tell every worker that `topics` change with the current transaction (at once outside one)."""
    payload = " ".join(topics)
    if is_postgres():
        await engine().run_querystring(QueryString("SELECT pg_notify({}, {})", CHANNEL, payload))
    else:
        event = ChangeEvent(topics=payload, at=datetime.now(UTC))
        await ChangeEvent.insert(event)
        if event.id % TRIM_EVERY == 0:
            await ChangeEvent.delete().where(ChangeEvent.id <= event.id - KEEP_EVENTS)
    after_commit(lambda: _tell_local(topics))


class ChangeListener:
    """Hears the changes every worker announces and applies them to this worker's generations."""

    def __init__(self, generations: Generations, database_url: str) -> None:
        self.generations = generations
        self.database_url = database_url
        self.ready = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        """Listen from now on; the worker serves once it listens (or after READY_TIMEOUT, the
        database being down: caches then trust values for their time to live only)."""
        listen = self._listen_postgres if self.database_url.startswith("postgres") else self._poll_sqlite
        self._task = asyncio.create_task(listen())
        try:
            await asyncio.wait_for(self.ready.wait(), READY_TIMEOUT)
        except TimeoutError:
            log.warning("not listening for changes yet: cached pages may be stale for their time to live")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _heard(self, topics: Iterable[str]) -> None:
        self.generations.changed(topics)

    async def _listen_postgres(self) -> None:
        while True:
            try:
                await self._listen_once()
            except (OSError, asyncpg.PostgresError, TimeoutError) as error:
                log.warning("listening for changes: %s; listening again", error)
            self.ready.clear()
            await asyncio.sleep(RECONNECT_SECONDS)

    async def _listen_once(self) -> None:
        connection = await asyncpg.connect(postgres_dsn(self.database_url))
        try:
            lost = asyncio.Event()
            connection.add_termination_listener(lambda _connection: lost.set())
            await connection.add_listener(
                CHANNEL, lambda _c, _pid, _channel, payload: self._heard(payload.split())
            )
            # Whatever changed while nobody listened (at start, or after a lost connection).
            self.generations.everything_changed()
            self.ready.set()
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), KEEPALIVE_SECONDS)
                if not lost.is_set():
                    await connection.fetchval("SELECT 1", timeout=KEEPALIVE_SECONDS)
        finally:
            with contextlib.suppress(Exception):
                await connection.close(timeout=1)

    async def _poll_sqlite(self) -> None:
        connection = sqlite3.connect(sqlite_path(self.database_url), check_same_thread=False)
        reading: asyncio.Future | None = None
        try:
            reading = asyncio.ensure_future(asyncio.to_thread(_last_event, connection))
            last = await asyncio.shield(reading)
            self.ready.set()
            while True:
                await asyncio.sleep(POLL_SECONDS)
                reading = asyncio.ensure_future(asyncio.to_thread(_events_after, connection, last))
                try:
                    events = await asyncio.shield(reading)
                except sqlite3.OperationalError as error:  # busy past its timeout: next time
                    log.warning("reading changes: %s", error)
                    continue
                if not events:
                    continue
                if events[0][0] != last + 1:
                    self.generations.everything_changed()  # some were pruned before they were read
                for _id, topics in events:
                    self._heard(topics.split())
                last = events[-1][0]
        finally:
            # A read still running in its thread must end before its connection is closed.
            if reading is not None and not reading.done():
                await asyncio.wait([reading])
            connection.close()


def _last_event(connection: sqlite3.Connection) -> int:
    return connection.execute("SELECT coalesce(max(id), 0) FROM change_event").fetchone()[0]


def _events_after(connection: sqlite3.Connection, last: int) -> list[tuple[int, str]]:
    return connection.execute(
        "SELECT id, topics FROM change_event WHERE id > ? ORDER BY id", (last,)
    ).fetchall()
