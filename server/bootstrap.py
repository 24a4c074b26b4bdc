"""Bring a database up to date: apply migrations, then load the starter framework if it is empty."""

from __future__ import annotations

import contextlib
import fcntl
import io
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
from piccolo.apps.migrations.commands.forwards import run_forwards

from indicators.queries import ReleaseSummary
from indicators.starter import load_starter_if_empty
from server.settings import Settings
from web.database import postgres_dsn, prepare_database

# The advisory lock's key on PostgreSQL (namespace 0: the schema itself).
MIGRATION_LOCK = (0, 0)


@contextlib.asynccontextmanager
async def migration_lock(settings: Settings) -> AsyncIterator[None]:
    """One process at a time brings the database up to date: two migrating at once would race
    ("relation already exists"), as several hosts starting together would. SQLite: a lock file
    beside the database; PostgreSQL: an advisory lock, held by a connection of its own."""
    if settings.is_sqlite:
        lock_path = Path(str(settings.sqlite_path) + ".migrate-lock")
        with lock_path.open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
        return
    connection = await asyncpg.connect(postgres_dsn(settings.database_url))
    try:
        await connection.execute("SELECT pg_advisory_lock($1, $2)", *MIGRATION_LOCK)
        yield
    finally:
        await connection.close()  # which releases the lock


async def migrate(settings: Settings, verbose: bool = False) -> None:
    prepare_database(settings.database_url)
    async with migration_lock(settings):
        await _forwards(verbose)


async def bootstrap(settings: Settings, verbose: bool = False) -> ReleaseSummary | None:
    """Migrations, then the starter framework if the database is empty: both under the lock, so
    that two hosts starting on a new database load it once."""
    prepare_database(settings.database_url)
    async with migration_lock(settings):
        await _forwards(verbose)
        return await load_starter_if_empty()


async def _forwards(verbose: bool) -> None:
    # Piccolo prints its progress on stdout, which `export` and friends keep for data.
    output = sys.stderr if verbose else io.StringIO()
    with contextlib.redirect_stdout(output):
        result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")
