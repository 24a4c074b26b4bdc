"""Database engines for both supported back ends, and the helpers that differ between them."""

from __future__ import annotations

import sqlite3

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType

from server.settings import sqlite_path

SQLITE_BUSY_TIMEOUT_SECONDS = 30


class ClosingSQLiteTransaction(SQLiteTransaction):
    """A transaction that closes its connection when BEGIN fails.

    BEGIN IMMEDIATE fails with "database is locked" once another writer has held the lock past the
    busy timeout. Piccolo's __aexit__ never runs when __aenter__ raises, so the connection (and the
    non-daemon thread aiosqlite runs it in) would stay open: one leak per refusal, and a process
    that cannot exit.
    """

    async def begin(self) -> None:
        try:
            await super().begin()
        except BaseException:
            await self.connection.close()
            raise


class ImmediateSQLiteEngine(SQLiteEngine):
    """SQLite whose transactions take the write lock at BEGIN.

    With Piccolo's default DEFERRED transactions, concurrent read-then-write
    transactions fail with "database is locked" instead of waiting their turn.
    """

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.immediate,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        return ClosingSQLiteTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )


def make_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite:"):
        path = sqlite_path(database_url)
        path.parent.mkdir(parents=True, exist_ok=True)
        # WAL lets readers go on while one writer writes; it is a property of the file.
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
        return ImmediateSQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
    dsn = database_url.replace("postgres://", "postgresql://", 1)
    return PostgresEngine(config={"dsn": dsn})


def is_postgres(engine: Engine) -> bool:
    return engine.engine_type == "postgres"
