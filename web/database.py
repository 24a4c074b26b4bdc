"""Database engines for both supported back ends, and the helpers whose SQL differs between them.

Making an engine touches nothing: the SQLite file's folder and its WAL mode are set up by
`prepare_database`, which migrating calls before anything is served.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar
from pathlib import Path
from typing import TypeVar

from piccolo.engine import engine_finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType
from piccolo.query.methods.select import Select
from piccolo.querystring import QueryString
from piccolo.table import Table

from web.sqlite_pool import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    HostTurn,
    close_sqlite_pool,
    open_sqlite_pool,
    sqlite_pool,
)

# A command or script does one thing at a time: a connection made at once, a few more if it asks.
COMMAND_POOL = {"min_size": 1, "max_size": 4}

T = TypeVar("T")


def sqlite_path(url: str) -> Path:
    # sqlite:///relative.db -> relative.db ; sqlite:////abs/path.db -> /abs/path.db
    return Path(url.removeprefix("sqlite:///"))


# What the outermost transactions of one task run inside themselves just before they commit, and that
# task (tasks it starts inherit the variable, not the hook): see `before_commit`.
_before_commit: ContextVar[tuple[asyncio.Task | None, Callable[[], Awaitable[None]]] | None] = ContextVar(
    "before_commit", default=None
)


@contextlib.contextmanager
def before_commit(hook: Callable[[], Awaitable[None]]) -> Iterator[None]:
    """Within the block, every outermost transaction of the current task awaits `hook` inside itself
    just before it commits, so that what the hook writes commits or rolls back with the change; if
    the hook raises, the transaction rolls back and the error goes on. (web/idempotency.py marks its
    claim applied this way.)"""
    token = _before_commit.set((asyncio.current_task(), hook))
    try:
        yield
    finally:
        _before_commit.reset(token)


def before_commit_hook() -> Callable[[], Awaitable[None]] | None:
    """The hook `before_commit` set for the current task, for a transaction that another task runs on
    its behalf and must await it in (proposals/ballot_box.py, which writes the ballots of many)."""
    hooked = _before_commit.get()
    return hooked[1] if hooked is not None and hooked[0] is asyncio.current_task() else None


class AfterCommit:
    """What a transaction runs once it has committed: callbacks given by `after_commit`; and, just
    before, the hook of `before_commit`.

    Nothing runs when it rolls back, and a nested transaction's callbacks wait for the outermost one.
    It also keeps values for its own life (`transaction_memo`).
    """

    # Not the change of the request: `reading`, a transaction on SQLite only.
    aside = False

    def memo(self) -> dict[str, object]:
        if not hasattr(self, "_memo"):
            self._memo: dict[str, object] = {}
        return self._memo

    def callbacks(self) -> list[Callable[[], None]]:
        if not hasattr(self, "_after_commit"):
            self._after_commit: list[Callable[[], None]] = []
        return self._after_commit

    def run_after_commit(self, committed: bool) -> None:
        callbacks = self.callbacks()
        if committed and not getattr(self, "_parent", None):
            for callback in callbacks:
                callback()
        callbacks.clear()

    async def _run_before_commit(self) -> None:
        hook = before_commit_hook()
        if hook is None or self.aside or getattr(self, "_parent", None):
            return
        if not self._committed and not self._rolled_back:  # type: ignore[attr-defined]
            await hook()

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if exception is None:
            try:
                await self._run_before_commit()
            except BaseException as failure:  # rolled back, connection released, then raised
                await super().__aexit__(type(failure), failure, failure.__traceback__)  # type: ignore[misc]
                self.run_after_commit(False)
                raise
        ok = await super().__aexit__(exception_type, exception, traceback)  # type: ignore[misc]
        self.run_after_commit(ok and self._committed)  # type: ignore[attr-defined]
        return ok


class ImmediateSQLiteTransaction(AfterCommit, SQLiteTransaction):
    """A transaction that takes the write lock at BEGIN and closes its connection when BEGIN fails.

    With Piccolo's default DEFERRED transactions, concurrent read-then-write transactions fail with
    "database is locked" instead of waiting their turn. BEGIN IMMEDIATE itself fails once another
    writer has held the lock past the busy timeout; Piccolo's __aexit__ never runs when __aenter__
    raises, so the connection (and the non-daemon thread aiosqlite runs it in) would stay open: one
    leak per refusal, and a process that cannot exit.

    Writers take turns (`WriteTurn`) before they take a connection: none is held while waiting.
    """

    _turn: WriteTurn | None = None

    async def get_connection(self):
        if self.transaction_type != TransactionType.deferred:
            self._turn = WriteTurn(self.engine.path)
            await self._turn.take()
        try:
            return await super().get_connection()
        except BaseException:
            self._end_turn()
            raise

    async def begin(self) -> None:
        try:
            await super().begin()
        except BaseException:
            self._end_turn()
            await self.connection.close()
            raise

    async def commit(self) -> None:
        try:
            await super().commit()
        finally:
            self._end_turn()

    async def rollback(self) -> None:
        try:
            await super().rollback()
        finally:
            self._end_turn()

    def _end_turn(self) -> None:
        if self._turn is not None:
            self._turn.give()

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        try:
            return await super().__aexit__(exception_type, exception, traceback)
        finally:
            self._end_turn()


class WriteTurn:
    """The turn of a writer of a SQLite file: the next one starts as soon as the one before is done.
    Left to SQLite, every writer waiting for the lock sleeps in its busy handler, longer and longer
    (up to 100 ms a try), while the lock stays free: under many writers the file was idle most of
    the time and a few of them waited for seconds. The writers of one process take turns on a lock
    of its event loop (`_writer_turn`); then, while the app serves, those of its workers on the
    host's (`HostTurn`)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._process: asyncio.Lock | None = None
        self._host: HostTurn | None = None

    async def take(self) -> None:
        turn = _writer_turn(self.path)
        try:
            await asyncio.wait_for(turn.acquire(), SQLITE_BUSY_TIMEOUT_SECONDS)
        except TimeoutError:
            raise sqlite3.OperationalError("database is locked") from None
        self._process = turn
        pool = sqlite_pool()
        if pool is not None:
            try:
                await pool.host_turn.take()
            except BaseException:
                self.give()
                raise
            self._host = pool.host_turn

    def give(self) -> None:
        if self._host is not None:
            self._host.give()
            self._host = None
        if self._process is not None:
            self._process.release()
            self._process = None

    async def __aenter__(self) -> None:
        await self.take()

    async def __aexit__(self, *_exception: object) -> None:
        self.give()


# Per event loop (a process has one; tests make one each), a lock per SQLite file.
_writer_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def _writer_turn(path: str) -> asyncio.Lock:
    turns = _writer_turns.setdefault(asyncio.get_running_loop(), {})
    return turns.setdefault(path, asyncio.Lock())


class ImmediateSQLiteEngine(SQLiteEngine):
    async def get_connection(self):
        """A connection for a transaction (or a batch): the pool's while the app serves."""
        pool = sqlite_pool()
        return await pool.take() if pool is not None else await super().get_connection()

    async def _run_in_new_connection(self, query: str, args=None, query_type: str = "generic", table=None):
        """A statement outside a transaction: on a connection of the pool while the app serves (in
        autocommit mode, as Piccolo's own)."""
        pool = sqlite_pool()
        if pool is None or (query_type == "insert" and self.get_version_sync() < 3.35):
            return await super()._run_in_new_connection(query, args, query_type, table)
        lent = await pool.take()
        try:
            return await lent.connection.execute_fetchall(query, args or [])
        finally:
            await lent.close()

    async def _run_in_existing_connection(
        self, connection, query: str, args=None, query_type: str = "generic", table=None
    ):
        """A statement of a transaction. Piccolo's sends `PRAGMA foreign_keys = 1` before each one:
        a second trip to the connection's thread while the write lock is held, for a setting its
        connection was given when it opened (get_connection)."""
        if query_type == "insert" and self.get_version_sync() < 3.35:  # no RETURNING: Piccolo's way
            return await super()._run_in_existing_connection(connection, query, args, query_type, table)
        return await connection.execute_fetchall(query, args or [])  # one trip, the cursor closed

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.immediate,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        return ImmediateSQLiteTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )


class HookedPostgresTransaction(AfterCommit, PostgresTransaction):
    pass


class HookedPostgresEngine(PostgresEngine):
    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return HookedPostgresTransaction(engine=self, allow_nested=allow_nested)


def make_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite:"):
        path = sqlite_path(database_url)
        return ImmediateSQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    return HookedPostgresEngine(config={"dsn": postgres_dsn(database_url)})


def postgres_dsn(database_url: str) -> str:
    return database_url.replace("postgres://", "postgresql://", 1)


def prepare_database(database_url: str) -> None:
    """SQLite: the file's folder exists and the file is in WAL mode (readers go on while one writer
    writes; it is a property of the file, set once). Nothing to do on PostgreSQL."""
    if database_url.startswith("sqlite:"):
        path = sqlite_path(database_url)
        path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA journal_mode=WAL")


def engine() -> Engine:
    return engine_finder()


def is_postgres() -> bool:
    return engine().engine_type == "postgres"


async def _nothing_to_reset(_connection: object) -> None:
    """Our pooled connections keep no session state (advisory locks are the transaction's; LISTEN and
    the migration lock have connections of their own): a connection back in the pool skips asyncpg's
    reset query, a round trip after each statement outside a transaction. asyncpg still rolls back
    a transaction left open."""


async def open_pool() -> None:
    """A pool of connections for the event loop that serves requests (one per worker). On SQLite only
    there: commands and scripts connect anew each time, as `restore` must (it replaces the file)."""
    database = engine()
    if is_postgres():
        await database.start_connection_pool(reset=_nothing_to_reset)
    else:
        open_sqlite_pool(database.path, database.connection_kwargs)


async def close_pool() -> None:
    if is_postgres():
        await engine().close_connection_pool()
    else:
        await close_sqlite_pool()


@contextlib.asynccontextmanager
async def database_pool() -> AsyncIterator[None]:
    """PostgreSQL: a pool of connections while the block runs, for the commands and scripts (without
    one, Piccolo connects anew for each query outside a transaction: 128 ms per proposal written
    instead of 15). The pool belongs to the running event loop, so each `asyncio.run` opens its own.
    Nothing on SQLite, nor when a pool is open already (its opener closes it)."""
    database = engine()
    opened = is_postgres() and database.pool is None
    if opened:
        await database.start_connection_pool(**COMMAND_POOL, reset=_nothing_to_reset)
    try:
        yield
    finally:
        if opened:
            await database.close_connection_pool()


async def pooled(work: Awaitable[T]) -> T:
    """`work` awaited inside `database_pool()`: `asyncio.run(pooled(command(...)))`."""
    async with database_pool():
        return await work


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the current transaction commits (at once outside a transaction)."""
    transaction = engine().current_transaction.get()
    if isinstance(transaction, AfterCommit):
        transaction.callbacks().append(callback)
    else:
        callback()


def write_turn() -> AbstractAsyncContextManager:
    """Around a statement that writes on its own, outside a transaction: on SQLite it takes its turn
    among the writers (`WriteTurn`) instead of waiting for the lock in SQLite's busy handler, and
    runs in one trip to its connection, without BEGIN and COMMIT; nothing more on PostgreSQL, nor in
    a transaction (which has its turn)."""
    return contextlib.nullcontext() if is_postgres() or in_transaction() else WriteTurn(engine().path)


def reading() -> AbstractAsyncContextManager:
    """Around several reads: on SQLite one connection and one snapshot for them all (a DEFERRED
    transaction, which takes no write lock; outside the app's pool each read would open a connection
    of its own, and parse the schema again); nothing more on PostgreSQL."""
    if is_postgres():
        return contextlib.nullcontext()
    return _aside(engine().transaction(TransactionType.deferred))


def _aside(transaction: AfterCommit) -> AfterCommit:
    """A transaction that is not the request's change: the hook of `before_commit` does not run in it
    (on PostgreSQL, where these are no transactions, it would not either)."""
    transaction.aside = True
    return transaction


def in_transaction() -> bool:
    return engine().current_transaction.get() is not None


def transaction_memo() -> dict[str, object]:
    """Values kept for the life of the current transaction (the outermost one); empty outside one."""
    transaction = engine().current_transaction.get()
    return transaction.memo() if isinstance(transaction, AfterCommit) else {}


async def lock_row(table: type[Table], row_id: int) -> None:
    """On PostgreSQL, lock one row until the end of the transaction (SQLite's IMMEDIATE lock serialises)."""
    if is_postgres():
        key = table._meta.primary_key
        await table.select(key).where(key == row_id).lock_rows()  # SELECT ... FOR UPDATE


def shared(query: Select) -> Select:
    """On PostgreSQL, the rows `query` reads stay locked until the end of the transaction in share
    mode (FOR SHARE): other sharers go on, a lock_row of one of them waits for them all. SQLite's
    IMMEDIATE transactions are serialised already."""
    return query.lock_rows("SHARE") if is_postgres() else query


async def lock_rows(table: type[Table], row_ids: list[int]) -> None:
    """lock_row for several rows in one statement, taken in the order of their ids (so that two
    transactions locking overlapping sets cannot deadlock)."""
    if is_postgres() and row_ids:
        key = table._meta.primary_key
        await table.select(key).where(key.is_in(sorted(row_ids))).order_by(key).lock_rows()


async def lock_key(namespace: int, key: int) -> None:
    """On PostgreSQL, serialise the transactions that take the same (namespace, key) until they end
    (an advisory lock); SQLite's IMMEDIATE transactions are serialised already. Each namespace is a
    constant of the module that locks on it."""
    if is_postgres():
        await engine().run_querystring(QueryString("SELECT pg_advisory_xact_lock({}, {})", namespace, key))


async def lock_free_key(namespace: int, keys: int) -> int:
    """On PostgreSQL, lock until the end of the transaction the first of (namespace, 1..keys) that no
    other transaction holds, waiting for one at random when all are held; returns its key. SQLite's
    IMMEDIATE transactions are serialised already: key 1."""
    if not is_postgres():
        return 1
    free = QueryString(
        "SELECT key FROM generate_series(1, {}) AS key WHERE pg_try_advisory_xact_lock({}, key) LIMIT 1",
        keys,
        namespace,
    )
    rows = await engine().run_querystring(free)
    if rows:
        return int(rows[0]["key"])
    key = random.randint(1, keys)  # which one to wait for, not a secret  # nosec B311
    await lock_key(namespace, key)
    return key
