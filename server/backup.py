"""`referentiel backup FILE` and `referentiel restore FILE`, for both engines.

SQLite: the online backup API copies the database page by page while the server goes on serving
and writing. The copy is read inside one read transaction of its own, so it is the database as
it stood at one instant (WAL mode lets writers go on meanwhile; the copy never restarts). The
file written is a plain SQLite database (rollback journal, no -wal beside it).

PostgreSQL: `pg_dump --format=custom` (a consistent snapshot by itself) and `pg_restore` into an
empty database, in one transaction: a restore that fails leaves the database empty.

A restore never goes into a database that holds anything: that would mix two histories.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sqlite3
import subprocess  # pg_dump and pg_restore, with argument lists, never a shell  # nosec B404
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from server.settings import Settings

Say = Callable[[str], None]

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
# Pages copied per step of the SQLite backup (4 MiB with the default page size): progress is
# shown between steps.
STEP_PAGES = 1024
PROGRESS_EVERY_SECONDS = 1.0
CLIENT_PACKAGE = "postgresql-client"
# Piccolo's record of the migrations applied: rows there are not data.
MIGRATIONS_TABLE = "migration"


class BackupError(Exception):
    """What stops a backup or a restore, in plain words. Exit status 2: nothing was changed."""

    exit_status = 2


class ToolFailed(BackupError):
    """pg_dump or pg_restore ran and failed."""

    exit_status = 1


@dataclass(frozen=True)
class TableCount:
    table: str
    rows: int


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
            _sqlite_backup(settings.sqlite_path, partial, say)
        else:
            _pg_backup(settings.database_url, partial, say)
        os.replace(partial, target)  # a backup file is either whole or absent
    finally:
        partial.unlink(missing_ok=True)
    tables = _sqlite_counts(target) if settings.is_sqlite else ()
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
        _sqlite_restore(source, settings.sqlite_path, say)
        tables = _sqlite_counts(settings.sqlite_path)
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
        _pg_restore(settings.database_url, source, say)
        tables = asyncio.run(_pg_counts(settings.database_url))
    return Outcome(source, source.stat().st_size, time.monotonic() - started, tables)


# --- SQLite ------------------------------------------------------------------------------


class _Progress:
    """The sqlite3 backup's progress callback: a line on stderr at most once a second."""

    def __init__(self, what: str, say: Say) -> None:
        self.what, self.say = what, say
        self.last = time.monotonic()

    def __call__(self, status: int, remaining: int, total: int) -> None:
        now = time.monotonic()
        if remaining and now - self.last >= PROGRESS_EVERY_SECONDS:
            self.last = now
            done = total - remaining
            self.say(f"{self.what}: {100 * done // max(total, 1)}% ({done} of {total} pages)")


def _sqlite_backup(database: Path, partial: Path, say: Say) -> None:
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


def _sqlite_counts(path: Path) -> tuple[TableCount, ...]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return tuple(
            # Table names come from sqlite_master (this database's own catalog), not from input.
            TableCount(name, connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])  # nosec B608
            for name in _sqlite_tables(connection)
        )
    finally:
        connection.close()


def _sqlite_restore(source: Path, database: Path, say: Say) -> None:
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
        raise BackupError(_not_empty(str(database), len(tables), rows, "use a new file name"))


def _not_empty(database: str, tables: int, rows: int, advice: str) -> str:
    holding = f"{rows} rows of data" if rows else "no data yet, as after `referentiel migrate`"
    return (
        f"refusing to restore into {database}: it is not empty ({tables} tables, {holding}). "
        f"A restore goes into an empty database only: {advice}, and point REFERENTIEL_DATABASE_URL at it"
    )


# --- PostgreSQL --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    host: str | None
    port: int | None
    user: str | None
    password: str | None
    dbname: str

    @classmethod
    def from_url(cls, url: str) -> _Target:
        parts = urlsplit(url)
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname:
            raise BackupError(f"REFERENTIEL_DATABASE_URL names no database: {_hide_password(url)}")
        return cls(
            host=unquote(parts.hostname) if parts.hostname else None,
            port=parts.port,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            dbname=dbname,
        )

    def arguments(self) -> list[str]:
        """Connection options for pg_dump and pg_restore; the password never goes on a command line."""
        options = [f"--host={self.host}"] if self.host else []
        options += [f"--port={self.port}"] if self.port else []
        options += [f"--username={self.user}"] if self.user else []
        return [*options, f"--dbname={self.dbname}", "--no-password"]

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password is not None:
            env["PGPASSWORD"] = self.password
        return env

    def describe(self) -> str:
        return f"database {self.dbname!r} on {self.host or 'localhost'}:{self.port or 5432}"


def _hide_password(url: str) -> str:
    return re.sub(r"(//[^:/@]*):[^@]*@", r"\1:***@", url)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed, and a PostgreSQL database is backed up and restored with it: "
            f"install the PostgreSQL client tools (Debian and Ubuntu: `apt-get install {CLIENT_PACKAGE}`; "
            f"their major version must be at least the server's)"
        )
    return path


def _tool_major(path: str) -> int:
    # An argument list (no shell); `path` is a PostgreSQL tool found by shutil.which.
    result = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)  # nosec B603
    found = re.search(r"\)\s*(\d+)", result.stdout)
    if result.returncode != 0 or found is None:
        raise BackupError(f"cannot tell the version of {path}: {result.stdout or result.stderr}".strip())
    return int(found.group(1))


async def _connect(url: str):
    import asyncpg

    target = _Target.from_url(url)
    try:
        return await asyncpg.connect(url.replace("postgres://", "postgresql://", 1), timeout=30)
    except asyncpg.InvalidCatalogNameError:
        raise BackupError(
            f"there is no {target.describe()}: create it empty first "
            f"(`createdb {target.dbname}` or CREATE DATABASE {target.dbname})"
        ) from None
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        raise BackupError(f"cannot connect to the {target.describe()}: {error}") from None


async def _server_major(url: str) -> int:
    connection = await _connect(url)
    try:
        return connection.get_server_version().major
    finally:
        await connection.close()


def _pg_backup(url: str, partial: Path, say: Say) -> None:
    pg_dump = _tool("pg_dump")
    client, server = _tool_major(pg_dump), asyncio.run(_server_major(url))
    if client < server:
        raise BackupError(
            f"pg_dump {client} cannot dump a PostgreSQL {server} server: install the client tools "
            f"of version {server} or newer (Debian: `apt-get install {CLIENT_PACKAGE}-{server}` "
            f"from the PostgreSQL apt repository)"
        )
    target = _Target.from_url(url)
    say(f"backup: pg_dump {client} of the {target.describe()} (PostgreSQL {server})")
    command = [pg_dump, "--format=custom", "--verbose", f"--file={partial}", *target.arguments()]
    _run_tool(command, target.environment(), say, r'dumping contents of table "?([^"\s]+)"?', "backup")


def _pg_restore(url: str, source: Path, say: Say) -> None:
    pg_restore = _tool("pg_restore")
    # An argument list (no shell): the operator's own backup file is an argument, never a command.
    header = subprocess.run(  # nosec B603
        [pg_restore, "--list", str(source)], capture_output=True, text=True, timeout=60
    )
    if header.returncode != 0:
        problem = header.stderr.strip()
        advice = (
            f": it was made by a newer pg_dump; install newer client tools ({CLIENT_PACKAGE})"
            if "unsupported version" in problem
            else ""
        )
        raise BackupError(f"pg_restore cannot read {source}{advice} ({problem})")
    dumped_from = re.search(r"Dumped from database version: (\d+)", header.stdout)
    server = asyncio.run(_server_major(url))
    if dumped_from and int(dumped_from.group(1)) > server:
        raise BackupError(
            f"{source} comes from PostgreSQL {dumped_from.group(1)}; restoring it into an older server "
            f"(PostgreSQL {server}) is not supported: restore into PostgreSQL {dumped_from.group(1)} or newer"
        )
    asyncio.run(_refuse_unless_empty_pg(url))
    target = _Target.from_url(url)
    say(f"restore: pg_restore {_tool_major(pg_restore)} into the {target.describe()} (PostgreSQL {server})")
    command = [
        pg_restore,
        "--no-owner",  # the restoring user owns everything, whoever owned the original
        "--no-privileges",  # grants name roles that the new server may not have
        "--single-transaction",  # all or nothing: a failed restore leaves the database empty
        "--exit-on-error",
        "--verbose",
        *target.arguments(),
        str(source),
    ]
    _run_tool(command, target.environment(), say, r'processing data for table "?([^"\s]+)"?', "restore")


def _run_tool(command: list[str], env: dict[str, str], say: Say, table_line: str, what: str) -> None:
    """Runs pg_dump or pg_restore; says which table it is at, at most once a second."""
    name = Path(command[0]).name
    # An argument list (no shell) built above from pg_dump/pg_restore and the operator's arguments.
    process = subprocess.Popen(  # nosec B603
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    # For the type checker: stderr=PIPE always gives a stream.
    assert process.stderr is not None  # nosec B101
    messages: list[str] = []
    tables, last = 0, time.monotonic()
    for line in process.stderr:
        found = re.search(table_line, line)
        if found:
            tables += 1
            if time.monotonic() - last >= PROGRESS_EVERY_SECONDS:
                last = time.monotonic()
                say(f"{what}: table {tables} ({found.group(1)})")
        else:
            messages.append(line.rstrip())
    status = process.wait()
    if status != 0:
        detail = "\n".join(messages[-20:]) or f"exit status {status}"
        raise ToolFailed(
            f"{name} failed, nothing was {'restored' if what == 'restore' else 'written'}:\n{detail}"
        )


async def _pg_tables(connection) -> list[str]:
    rows = await connection.fetch(
        "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS name FROM pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
    )
    return [row["name"] for row in rows]


async def _refuse_unless_empty_pg(url: str) -> None:
    connection = await _connect(url)
    try:
        tables = await _pg_tables(connection)
        rows = 0
        for table in tables:
            if table != f"public.{MIGRATIONS_TABLE}":
                # Table names come from pg_tables (the database's catalog), not from input.
                rows += await connection.fetchval(f"SELECT count(*) FROM {table}")  # nosec B608
        functions = await connection.fetchval(
            "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public'"
        )
    finally:
        await connection.close()
    target = _Target.from_url(url)
    advice = f"create a new database (`createdb NEW_NAME`), or drop {target.dbname} and create it again"
    if tables:
        raise BackupError(_not_empty(target.describe(), len(tables), rows, advice))
    if functions:
        raise BackupError(
            f"refusing to restore into the {target.describe()}: it has no tables but {functions} function(s) "
            f"in the public schema, which the backup would clash with: {advice}"
        )


async def _pg_counts(url: str) -> tuple[TableCount, ...]:
    connection = await _connect(url)
    try:
        return tuple(
            [
                TableCount(
                    table.removeprefix("public."),
                    # Table names come from pg_tables (the database's catalog), not from input.
                    await connection.fetchval(f"SELECT count(*) FROM {table}"),  # nosec B608
                )
                for table in await _pg_tables(connection)
            ]
        )
    finally:
        await connection.close()
