"""`referentiel backup FILE` and `referentiel restore FILE`, for both engines.

SQLite: the online backup API copies the database page by page while the server goes on serving
and writing. The copy is read inside one read transaction of its own, so it is the database as
it stood at one instant (WAL mode lets writers go on meanwhile; the copy never restarts). The
file written is a plain SQLite database (rollback journal, no -wal beside it).

PostgreSQL: `pg_dump --format=custom` (a consistent snapshot by itself) and `pg_restore` into an
empty database, in one transaction: a restore that fails leaves the database empty.

A restore never goes into a database that holds anything: that would mix two histories.
Each engine's work is in server/backup_sqlite.py and server/backup_postgres.py.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path

from server.backup_common import BackupError, Say, TableCount
from server.backup_postgres import pg_backup, pg_counts, pg_restore
from server.backup_sqlite import sqlite_backup, sqlite_counts, sqlite_restore
from server.settings import Settings

__all__ = ["BackupError", "Outcome", "backup", "restore"]

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


@dataclass(frozen=True)
class Outcome:
    path: Path
    bytes: int
    seconds: float
    tables: tuple[TableCount, ...]

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def backup(settings: Settings, target: Path, say: Say, overwrite: bool = False) -> Outcome:
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists already: choose another name, or pass --overwrite")
    if target.is_dir():
        raise BackupError(f"{target} is a directory: give the name of the file to write")
    if not target.parent.is_dir():
        raise BackupError(f"there is no directory {target.parent} to write {target.name} into")
    started = time.monotonic()
    partial = target.with_name(target.name + ".partial")
    try:
        if settings.is_sqlite:
            sqlite_backup(settings.sqlite_path, partial, say)
        else:
            pg_backup(settings.database_url, partial, say)
        os.replace(partial, target)  # a backup file is either whole or absent
    finally:
        partial.unlink(missing_ok=True)
    tables = sqlite_counts(target) if settings.is_sqlite else ()
    return Outcome(target, target.stat().st_size, time.monotonic() - started, tables)


def restore(settings: Settings, source: Path, say: Say) -> Outcome:
    if not source.is_file():
        raise BackupError(f"there is no backup file {source}")
    started = time.monotonic()
    with source.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if settings.is_sqlite:
        if head.startswith(PG_DUMP_MAGIC):
            raise BackupError(
                f"{source} is a PostgreSQL dump and REFERENTIEL_DATABASE_URL names a SQLite database: "
                "restore it into PostgreSQL"
            )
        if head != SQLITE_MAGIC:
            raise BackupError(f"{source} is not a backup made by `referentiel backup` (not a SQLite file)")
        sqlite_restore(source, settings.sqlite_path, say)
        tables = sqlite_counts(settings.sqlite_path)
    else:
        if head == SQLITE_MAGIC:
            raise BackupError(
                f"{source} is a SQLite backup and REFERENTIEL_DATABASE_URL names a PostgreSQL database: "
                "restore it into SQLite"
            )
        if not head.startswith(PG_DUMP_MAGIC):
            raise BackupError(
                f"{source} is not a backup made by `referentiel backup` (not a pg_dump archive)"
            )
        pg_restore(settings.database_url, source, say)
        tables = asyncio.run(pg_counts(settings.database_url))
    return Outcome(source, source.stat().st_size, time.monotonic() - started, tables)
