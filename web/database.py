"""Database engines for both supported back ends, and the helpers whose SQL differs between them.

Making an engine touches nothing: the SQLite file's folder and its WAL mode are set up by
`prepare_database`, which migrating calls before anything is served.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from pathlib import Path

from piccolo.engine import engine_finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType
from piccolo.querystring import QueryString
from piccolo.table import Table

SQLITE_BUSY_TIMEOUT_SECONDS = 30


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


class AfterCommit:
    """What a transaction runs once it has committed: callbacks given by `after_commit`; and, just
    before, the hook of `before_commit`.

    Nothing runs when it rolls back, and a nested transaction's callbacks wait for the outermost one.
    """

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
        hooked = _before_commit.get()
        if hooked is None or hooked[0] is not asyncio.current_task() or getattr(self, "_parent", None):
            return
        if not self._committed and not self._rolled_back:  # type: ignore[attr-defined]
            await hooked[1]()

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
    """

    async def begin(self) -> None:
        try:
            await super().begin()
        except BaseException:
            await self.connection.close()
            raise


class ImmediateSQLiteEngine(SQLiteEngine):
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


async def open_pool() -> None:
    """PostgreSQL: a pool of connections for the event loop that serves requests (one per worker)."""
    if is_postgres():
        await engine().start_connection_pool()


async def close_pool() -> None:
    if is_postgres():
        await engine().close_connection_pool()


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the current transaction commits (at once outside a transaction)."""
    transaction = engine().current_transaction.get()
    if isinstance(transaction, AfterCommit):
        transaction.callbacks().append(callback)
    else:
        callback()


async def lock_row(table: type[Table], row_id: int) -> None:
    """On PostgreSQL, lock one row until the end of the transaction (SQLite's IMMEDIATE lock serialises)."""
    if is_postgres():
        key = table._meta.primary_key
        await table.select(key).where(key == row_id).lock_rows()  # SELECT ... FOR UPDATE


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
