"""Bring a database up to date: apply migrations, then load the starter framework if it is empty."""

from __future__ import annotations

import contextlib
import fcntl
import io
import sys
from collections.abc import Iterator
from pathlib import Path

from piccolo.apps.migrations.commands.forwards import run_forwards

from indicators.queries import ReleaseSummary
from indicators.starter import load_starter_if_empty
from server.settings import Settings
from web.database import prepare_database


@contextlib.contextmanager
def migration_lock(settings: Settings) -> Iterator[None]:
    """Two processes migrating one SQLite file at once would race ("table already exists")."""
    if not settings.is_sqlite:
        yield
        return
    lock_path = Path(str(settings.sqlite_path) + ".migrate-lock")
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


async def migrate(settings: Settings, verbose: bool = False) -> None:
    # Piccolo prints its progress on stdout, which `export` and friends keep for data.
    output = sys.stderr if verbose else io.StringIO()
    prepare_database(settings.database_url)
    with migration_lock(settings), contextlib.redirect_stdout(output):
        result = await run_forwards(app_name="all")
    if not result.success:
        raise RuntimeError(f"migrations failed: {result.message}")


async def bootstrap(settings: Settings, verbose: bool = False) -> ReleaseSummary | None:
    await migrate(settings, verbose=verbose)
    return await load_starter_if_empty()
