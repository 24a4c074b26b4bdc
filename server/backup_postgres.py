"""Backup and restore of a PostgreSQL database: `pg_dump --format=custom` (a consistent snapshot by
itself) and `pg_restore` into an empty database in one transaction, with their progress."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess  # pg_dump and pg_restore, with argument lists, never a shell  # nosec B404
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from server.backup_common import (
    MIGRATIONS_TABLE,
    BackupError,
    Say,
    TableCount,
    ToolFailed,
    not_empty,
)
from server.progress import Throttle

CLIENT_PACKAGE = "postgresql-client"


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


def pg_backup(url: str, partial: Path, say: Say) -> None:
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


def pg_restore(url: str, source: Path, say: Say) -> None:
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
    tables, throttle = 0, Throttle()
    for line in process.stderr:
        found = re.search(table_line, line)
        if found:
            tables += 1
            if throttle.due():
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
        raise BackupError(not_empty(target.describe(), len(tables), rows, advice))
    if functions:
        raise BackupError(
            f"refusing to restore into the {target.describe()}: it has no tables but {functions} function(s) "
            f"in the public schema, which the backup would clash with: {advice}"
        )


async def pg_counts(url: str) -> tuple[TableCount, ...]:
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
