"""Backup and restore of a SQLite database: the online backup API, page by page, from one read
transaction (the database as it stood at one instant, while the server goes on writing)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from server.backup_common import (
    MIGRATIONS_TABLE,
    BackupError,
    Say,
    TableCount,
    ToolFailed,
    not_empty,
)
from server.progress import Throttle

# Pages copied per step (4 MiB with the default page size): progress is shown between steps.
STEP_PAGES = 1024


class _Progress:
    """The sqlite3 backup's progress callback: a line on stderr at most once a second."""

    def __init__(self, what: str, say: Say) -> None:
        self.what, self.say = what, say
        self.throttle = Throttle()

    def __call__(self, status: int, remaining: int, total: int) -> None:
        if remaining and self.throttle.due():
            done = total - remaining
            self.say(f"{self.what}: {100 * done // max(total, 1)}% ({done} of {total} pages)")


def sqlite_backup(database: Path, partial: Path, say: Say) -> None:
    if not database.is_file():
        raise BackupError(f"there is no database at {database} (REFERENTIEL_DATABASE_URL)")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(database, isolation_level=None, timeout=30)
    try:
        # One read transaction over the whole copy: every step reads the same snapshot, and
        # writers (WAL) neither wait for the copy nor make it start again.
        source.execute("BEGIN")
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        target = sqlite3.connect(partial, isolation_level=None)
        try:
            source.backup(target, pages=STEP_PAGES, progress=_Progress("backup", say))
            source.execute("COMMIT")
            # A file that stands alone: no -wal needed beside it.
            target.execute("PRAGMA journal_mode=DELETE")
            _check_sqlite(target, partial)
        finally:
            target.close()
    finally:
        source.close()


def _check_sqlite(connection: sqlite3.Connection, path: Path) -> None:
    result = connection.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise ToolFailed(f"{path} fails SQLite's integrity check: {result}")


def _sqlite_tables(connection: sqlite3.Connection) -> list[str]:
    rows = connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    return [row[0] for row in rows]


def sqlite_counts(path: Path) -> tuple[TableCount, ...]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return tuple(
            # Table names come from sqlite_master (this database's own catalog), not from input.
            TableCount(name, connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])  # nosec B608
            for name in _sqlite_tables(connection)
        )
    finally:
        connection.close()


def sqlite_restore(source: Path, database: Path, say: Say) -> None:
    backup_file = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        try:
            _check_sqlite(backup_file, source)
            tables = set(_sqlite_tables(backup_file))
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{source} cannot be read as a SQLite database: {error}") from None
        if not {"framework_release", "audit_log"} <= tables:
            raise BackupError(f"{source} is a SQLite database but not a backup of Référentiel vivant")
        _refuse_unless_empty_sqlite(database)
        database.parent.mkdir(parents=True, exist_ok=True)
        incoming = database.with_name(database.name + ".restoring")
        _remove_sqlite_files(incoming)
        target = sqlite3.connect(incoming, isolation_level=None)
        try:
            backup_file.backup(target, pages=STEP_PAGES, progress=_Progress("restore", say))
            target.execute("PRAGMA journal_mode=WAL")  # as the server uses it
        finally:
            target.close()
    finally:
        backup_file.close()
    # The empty database's own -wal and -shm must not outlive it: SQLite would replay a stale
    # write-ahead log onto the restored file.
    _remove_sqlite_files(database)
    os.replace(incoming, database)
    for suffix in ("-wal", "-shm"):
        leftover = Path(f"{incoming}{suffix}")
        if leftover.exists():
            os.replace(leftover, Path(f"{database}{suffix}"))


def _remove_sqlite_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _refuse_unless_empty_sqlite(database: Path) -> None:
    if not database.exists() or database.stat().st_size == 0:
        return
    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            tables = _sqlite_tables(connection)
            rows = sum(
                # Table names come from sqlite_master, not from input.
                connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]  # nosec B608
                for t in tables
                if t != MIGRATIONS_TABLE
            )
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"refusing to restore over {database}: it cannot be read ({error})") from None
    if tables:
        raise BackupError(not_empty(str(database), len(tables), rows, "use a new file name"))
