"""SQLite while the app serves: each worker's connections, kept and taken again, and the turn of the
writers of all the workers of the host (web/database.py's engine and WriteTurn use them)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import fcntl
import os
import queue
import sqlite3
import threading
import weakref

import aiosqlite
from piccolo.engine.sqlite import dict_factory

SQLITE_BUSY_TIMEOUT_SECONDS = 30
# Idle SQLite connections a serving process keeps: as many as it has statements in flight at once,
# nearly; one more than that is opened and closed as before.
SQLITE_IDLE_CONNECTIONS = 16


# What a path names: (device, inode), None when there is no file.
FileId = tuple[int, int] | None


class SQLitePool:
    """The idle connections to one SQLite file of one event loop, while the app serves.

    Piccolo's SQLite engine opens a connection (and a thread, and parses the schema again) for each
    transaction and each statement outside one: 2 ms each, several per request. A connection given
    back is kept if its transaction is over; taken again only if the path still names the file it
    was opened on (a file replaced under the app is opened anew).
    """

    def __init__(self, path: str, kwargs: dict) -> None:
        self.path = path
        self.kwargs = kwargs
        self.idle: list[tuple[aiosqlite.Connection, FileId]] = []
        self.closed = False
        self.host_turn = HostTurn(f"{path}.write-turn")

    def _file(self) -> FileId:
        try:
            found = os.stat(self.path)
        except OSError:
            return None
        return found.st_dev, found.st_ino

    async def take(self) -> _Lent:
        file = self._file()
        while self.idle:
            connection, opened_on = self.idle.pop()
            if opened_on == file is not None:
                return _Lent(self, connection, opened_on)
            await connection.close()
        connection = await aiosqlite.connect(**self.kwargs)
        connection.row_factory = dict_factory
        await connection.execute("PRAGMA foreign_keys = 1")
        return _Lent(self, connection, self._file())

    async def give_back(self, lent: _Lent) -> None:
        connection = lent.connection
        if self.closed or connection.in_transaction or len(self.idle) >= SQLITE_IDLE_CONNECTIONS:
            await connection.close()
        else:
            self.idle.append((connection, lent.opened_on))

    async def close(self) -> None:
        self.closed = True
        self.host_turn.close()
        while self.idle:
            await self.idle.pop()[0].close()


class HostTurn:
    """The turn of the writers of all the serving processes on this host (granian's workers): a lock
    on a file beside the database, taken after the process's own turn. Left to SQLite, a writer
    whose BEGIN finds another process writing sleeps in the busy handler, 1 to 100 ms a try and
    longer each time, while the lock may be free long before: under load some waited for seconds.
    Here it wakes when the other commits. SQLite's own lock still decides who writes; this only
    orders who asks (the commands, which have no turn, wait in the busy handler as before).

    One thread waits for the lock when it is taken, for one writer at a time (the process's turn
    lets one ask); a writer that gives up is let go by that thread when its lock comes."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self.waits: queue.SimpleQueue[_HostWait | None] = queue.SimpleQueue()
        self.waiter: threading.Thread | None = None

    def _take_now(self) -> bool:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    async def take(self) -> None:
        if self._take_now():
            return
        if self.waiter is None:
            self.waiter = threading.Thread(target=self._wait, name="sqlite-host-turn", daemon=True)
            self.waiter.start()
        wait = _HostWait(asyncio.get_running_loop().create_future())
        self.waits.put(wait)
        try:
            await asyncio.wait_for(wait.taken, SQLITE_BUSY_TIMEOUT_SECONDS)
        except BaseException as failure:
            with wait.guard:
                wait.abandoned = True
                if wait.held:
                    self.give()
            if isinstance(failure, TimeoutError):
                raise sqlite3.OperationalError("database is locked") from None
            raise

    def _wait(self) -> None:
        while (wait := self.waits.get()) is not None:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            with wait.guard:
                if wait.abandoned:
                    self.give()
                    continue
                wait.held = True
            with contextlib.suppress(RuntimeError):  # its loop closed
                wait.taken.get_loop().call_soon_threadsafe(_set_done, wait.taken)

    def give(self) -> None:
        if self.fd >= 0:  # else closed with the pool, the lock with it
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self.waits.put(None)
        fd, self.fd = self.fd, -1
        os.close(fd)


@dataclasses.dataclass
class _HostWait:
    taken: asyncio.Future
    guard: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    abandoned: bool = False
    held: bool = False


def _set_done(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


class _Lent:
    """A connection of the pool as Piccolo uses one: closing it gives it back."""

    def __init__(self, pool: SQLitePool, connection: aiosqlite.Connection, opened_on: FileId):
        self.pool, self.connection, self.opened_on = pool, connection, opened_on

    def __getattr__(self, name: str) -> object:
        return getattr(self.connection, name)

    async def close(self) -> None:
        await self.pool.give_back(self)


# Per event loop (a serving process has one; tests make one each), from open_pool to close_pool.
_sqlite_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SQLitePool] = weakref.WeakKeyDictionary()


def sqlite_pool() -> SQLitePool | None:
    try:
        return _sqlite_pools.get(asyncio.get_running_loop())
    except RuntimeError:
        return None


def open_sqlite_pool(path: str, kwargs: dict) -> None:
    _sqlite_pools[asyncio.get_running_loop()] = SQLitePool(path, kwargs)


async def close_sqlite_pool() -> None:
    if (pool := _sqlite_pools.pop(asyncio.get_running_loop(), None)) is not None:
        await pool.close()
