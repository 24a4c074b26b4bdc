"""tables.py is the source of the schema: the database agrees with it, Piccolo's `--auto` finds nothing
to do, and a database made by the earlier migrations upgrades in place."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.columns import JSON, Boolean, Column, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.conf.apps import Finder
from piccolo.table import Table

from proposals.accounts import register_account
from tests.conftest import DATABASE_URL
from tests.server.live import PASSWORD, fetch, other_database, run_cli, table_counts
from web.database import postgres_dsn

ROOT = Path(__file__).resolve().parents[1]
PICCOLO_TABLE = "migration"  # Piccolo's own record of the migrations that ran
APP_NAMES = Finder().get_app_names()

# The migrations as they stood at commit f21d5d4, before tables.py became the source: what existing
# databases have applied.
MIGRATIONS_AT_F21D5D4 = {
    "indicators": "2026-11-27T00:30:00:000000",
    "proposals": "2026-11-27T01:00:00:000000",
}

# The SQL type each Piccolo column class declares, as read back from either engine (see sql_type).
SQL_TYPES: dict[type[Column], str] = {
    Serial: "integer",
    Integer: "integer",
    Text: "text",
    Boolean: "boolean",
    JSON: "json",
    Timestamptz: "timestamptz",
}
POSTGRES_TYPE_NAMES = {"character varying": "varchar", "timestamp with time zone": "timestamptz"}
POSTGRES_FK_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


@dataclass(frozen=True)
class ColumnShape:
    type: str
    not_null: bool
    primary_key: bool
    default: str | None  # normalised SQL; None when the database declares no default


@dataclass(frozen=True)
class IndexShape:
    columns: tuple[str, ...]
    unique: bool

    def __str__(self) -> str:
        return f"{'UNIQUE ' if self.unique else ''}({', '.join(self.columns)})"


@dataclass(frozen=True)
class ForeignKeyShape:
    table: str
    column: str
    on_delete: str
    on_update: str

    def __str__(self) -> str:
        return f"{self.table}.{self.column} ON DELETE {self.on_delete} ON UPDATE {self.on_update}"


@dataclass
class TableShape:
    columns: dict[str, ColumnShape] = field(default_factory=dict)
    # Indexes made by CREATE [UNIQUE] INDEX (composite, or a column's index=True), by name.
    named_indexes: dict[str, IndexShape] = field(default_factory=dict)
    # Columns declared UNIQUE, whose index each engine names itself.
    unique_columns: set[str] = field(default_factory=set)
    foreign_keys: dict[str, ForeignKeyShape] = field(default_factory=dict)


# --- what tables.py declares ----------------------------------------------------------------------


def app_tables() -> list[type[Table]]:
    return [table for table in Finder().get_table_classes() if table._meta.tablename != PICCOLO_TABLE]


def sql_type(column: Column) -> str:
    if isinstance(column, ForeignKey):
        return sql_type(column._foreign_key_meta.resolved_target_column)
    if type(column) is Varchar:
        return f"varchar({column.length})"
    name = f"{column._meta.table._meta.tablename}.{column._meta.db_column_name}"
    assert type(column) in SQL_TYPES, f"{name}: add {type(column).__name__} to SQL_TYPES in {__file__}"
    return SQL_TYPES[type(column)]


def declared_default(column: Column) -> str | None:
    if column._meta.primary_key:
        return None  # a sequence or the rowid, not a value
    return normalised_default(column.get_sql_value(column.get_default_value()))


def composite_indexes(table: type[Table]) -> dict[str, IndexShape]:
    """The indexes on several columns that the table's module declares beside it (UNIQUE_INDEXES, INDEXES)."""
    module = sys.modules[table.__module__]
    found = {}
    for constant, unique in (("UNIQUE_INDEXES", True), ("INDEXES", False)):
        for name, columns in getattr(module, constant, {}).items():
            if columns[0]._meta.table is table:
                assert all(column._meta.table is table for column in columns), (
                    f"{name}: columns of two tables"
                )
                found[name] = IndexShape(tuple(column._meta.db_column_name for column in columns), unique)
    return found


def declared_shape(table: type[Table]) -> TableShape:
    shape = TableShape(named_indexes=composite_indexes(table))
    for column in table._meta.columns:
        name = column._meta.db_column_name
        not_null = column._meta.primary_key or not column._meta.null
        shape.columns[name] = ColumnShape(
            sql_type(column), not_null, column._meta.primary_key, declared_default(column)
        )
        if column._meta.unique and not column._meta.primary_key:
            shape.unique_columns.add(name)
        if column._meta.index:
            shape.named_indexes[table._get_index_name([name])] = IndexShape((name,), False)
        if isinstance(column, ForeignKey):
            meta = column._foreign_key_meta
            shape.foreign_keys[name] = ForeignKeyShape(
                meta.resolved_references._meta.tablename,
                meta.resolved_target_column._meta.db_column_name,
                meta.on_delete.value,
                meta.on_update.value,
            )
    return shape


def declared_schema() -> dict[str, TableShape]:
    return {table._meta.tablename: declared_shape(table) for table in app_tables()}


# --- what the database holds ----------------------------------------------------------------------


def normalised_type(declared: str) -> str:
    name, parenthesis, rest = declared.lower().strip().partition("(")
    name = POSTGRES_TYPE_NAMES.get(name.strip(), name.strip())
    return f"{name}{parenthesis}{rest}"


def normalised_default(sql: str | None) -> str | None:
    if sql is None:
        return None
    return re.sub(r"::[a-z ]+$", "", sql.strip().lower())  # PostgreSQL adds casts: 'fr'::character varying


async def live_schema(database_url: str) -> dict[str, TableShape]:
    if database_url.startswith("sqlite"):
        return sqlite_schema(Path(database_url.removeprefix("sqlite:///")))
    connection = await asyncpg.connect(postgres_dsn(database_url))
    try:
        return await postgres_schema(connection)
    finally:
        await connection.close()


def sqlite_schema(path: Path) -> dict[str, TableShape]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        names = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        return {name: sqlite_table(connection, name) for (name,) in names if name != PICCOLO_TABLE}


def sqlite_table(connection: sqlite3.Connection, table: str) -> TableShape:
    shape = TableShape()
    for _cid, name, declared, not_null, default, primary_key in connection.execute(
        f"PRAGMA table_info({table})"
    ):
        # A primary key counts as NOT NULL, as Piccolo declares it. (SQLite lets a primary key that is
        # not an INTEGER hold NULL unless NOT NULL is written: rate_limit.key; nothing writes one.)
        shape.columns[name] = ColumnShape(
            normalised_type(declared),
            bool(not_null or primary_key),
            bool(primary_key),
            normalised_default(default),
        )
    for _seq, name, unique, origin, _partial in connection.execute(f"PRAGMA index_list({table})"):
        columns = tuple(row[2] for row in connection.execute(f"PRAGMA index_info({name})"))
        if origin == "u" and len(columns) == 1:
            shape.unique_columns.add(columns[0])
        elif origin != "pk":
            shape.named_indexes[name] = IndexShape(columns, bool(unique))
    for row in connection.execute(f"PRAGMA foreign_key_list({table})"):
        _id, _seq, target_table, column, target_column, on_update, on_delete, _match = row
        shape.foreign_keys[column] = ForeignKeyShape(target_table, target_column, on_delete, on_update)
    return shape


POSTGRES_COLUMNS = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid) AS default,
       EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = a.attrelid AND x.indisprimary
               AND a.attnum = ANY (x.indkey::int2[])) AS primary_key
FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
"""
POSTGRES_INDEXES = """
SELECT i.relname AS name, x.indisunique AS unique,
       EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.conrelid = x.indrelid
               AND c.contype = 'u') AS from_constraint,
       ARRAY(SELECT a.attname FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, position)
             JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
             ORDER BY k.position) AS columns
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
WHERE x.indrelid = $1::regclass AND NOT x.indisprimary
"""
POSTGRES_FOREIGN_KEYS = """
SELECT a.attname AS column, t.relname AS target_table, ta.attname AS target_column,
       c.confdeltype::text AS on_delete, c.confupdtype::text AS on_update
FROM pg_constraint c
JOIN pg_class t ON t.oid = c.confrelid
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
JOIN pg_attribute ta ON ta.attrelid = c.confrelid AND ta.attnum = c.confkey[1]
WHERE c.contype = 'f' AND c.conrelid = $1::regclass
"""


async def postgres_schema(connection: asyncpg.Connection) -> dict[str, TableShape]:
    names = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {
        row["tablename"]: await postgres_table(connection, row["tablename"])
        for row in names
        if row["tablename"] != PICCOLO_TABLE
    }


async def postgres_table(connection: asyncpg.Connection, table: str) -> TableShape:
    shape = TableShape()
    for row in await connection.fetch(POSTGRES_COLUMNS, table):
        default = None if row["primary_key"] else normalised_default(row["default"])
        shape.columns[row["attname"]] = ColumnShape(
            normalised_type(row["type"]), row["attnotnull"], row["primary_key"], default
        )
    for row in await connection.fetch(POSTGRES_INDEXES, table):
        columns = tuple(row["columns"])
        if row["from_constraint"] and len(columns) == 1:
            shape.unique_columns.add(columns[0])
        else:
            shape.named_indexes[row["name"]] = IndexShape(columns, row["unique"])
    for row in await connection.fetch(POSTGRES_FOREIGN_KEYS, table):
        shape.foreign_keys[row["column"]] = ForeignKeyShape(
            row["target_table"],
            row["target_column"],
            POSTGRES_FK_ACTIONS[row["on_delete"]],
            POSTGRES_FK_ACTIONS[row["on_update"]],
        )
    return shape


# --- comparing them -------------------------------------------------------------------------------


def differences(declared: dict[str, TableShape], live: dict[str, TableShape]) -> list[str]:
    found = [
        f"{name}: a table in the database that no tables.py declares"
        for name in sorted(live - declared.keys())
    ]
    found += [
        f"{name}: declared in tables.py, missing from the database" for name in sorted(declared - live.keys())
    ]
    for name in sorted(declared.keys() & live.keys()):
        found += table_differences(name, declared[name], live[name])
    return found


def table_differences(table: str, declared: TableShape, live: TableShape) -> list[str]:
    found = [
        f"{table}.{name}: in the database, not in tables.py"
        for name in sorted(live.columns.keys() - declared.columns)
    ]
    found += [
        f"{table}.{name}: in tables.py, not in the database"
        for name in sorted(declared.columns.keys() - live.columns)
    ]
    for name in sorted(declared.columns.keys() & live.columns.keys()):
        found += column_differences(f"{table}.{name}", declared.columns[name], live.columns[name])
    for name in sorted(declared.unique_columns ^ live.unique_columns):
        where = "tables.py" if name in declared.unique_columns else "the database"
        found.append(f"{table}.{name}: UNIQUE in {where} only")
    for name in sorted(declared.named_indexes.keys() | live.named_indexes.keys()):
        found += mismatch(
            f"{table}: index {name}", declared.named_indexes.get(name), live.named_indexes.get(name)
        )
    for name in sorted(declared.foreign_keys.keys() | live.foreign_keys.keys()):
        found += mismatch(
            f"{table}.{name}: foreign key to", declared.foreign_keys.get(name), live.foreign_keys.get(name)
        )
    return found


def mismatch(subject: str, declared: object | None, live: object | None) -> list[str]:
    if declared == live:
        return []
    return [f"{subject} {declared or 'none'} in tables.py, {live or 'none'} in the database"]


def column_differences(name: str, declared: ColumnShape, live: ColumnShape) -> list[str]:
    found = []
    if declared.type != live.type:
        found.append(f"{name}: type {declared.type} in tables.py, {live.type} in the database")
    if declared.not_null != live.not_null:
        found.append(f"{name}: {'NOT NULL' if declared.not_null else 'nullable'} in tables.py only")
    if declared.primary_key != live.primary_key:
        found.append(f"{name}: primary key in {'tables.py' if declared.primary_key else 'the database'} only")
    # Piccolo gives every column a default and writes every column on insert; the raw-SQL tables
    # declare few defaults. Those they declare must be tables.py's.
    if live.default is not None and declared.default != live.default:
        found.append(f"{name}: default {declared.default} in tables.py, {live.default} in the database")
    return found


async def test_every_table_class_agrees_with_the_database(db: None):
    found = differences(declared_schema(), await live_schema(DATABASE_URL))
    assert not found, "tables.py and the database disagree:\n" + "\n".join(found)


async def test_the_parity_check_names_what_differs(db: None):
    live = await live_schema(DATABASE_URL)
    live["audit_log"].unique_columns.discard("entry_hash")
    live["framework"].columns["slug"] = dataclasses.replace(live["framework"].columns["slug"], type="text")
    del live["ballot"].named_indexes["ballot_once"]
    found = differences(declared_schema(), live)
    assert found == [
        "audit_log.entry_hash: UNIQUE in tables.py only",
        "ballot: index ballot_once UNIQUE (proposal, voter) in tables.py, none in the database",
        "framework.slug: type varchar(100) in tables.py, text in the database",
    ]


# --- Piccolo's --auto -----------------------------------------------------------------------------


def run_piccolo(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The `piccolo` command, on our apps and the given database."""
    return subprocess.run(
        [sys.executable, "-m", "piccolo.main", *args],
        env={**os.environ, "PICCOLO_CONF": "server.piccolo_conf", "REFERENTIEL_DATABASE_URL": database_url},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def migration_files() -> set[Path]:
    folders = [Path(app.resolved_migrations_folder_path) for app in Finder().get_app_configs()]
    return {path for folder in folders for path in folder.glob("*.py")}


@pytest.mark.parametrize("app_name", APP_NAMES)
async def test_auto_migrations_find_no_change(app_name: str, tmp_path: Path):
    before = migration_files()
    async with other_database(tmp_path, "auto") as throwaway_url:
        result = run_piccolo(throwaway_url, "migrations", "new", app_name, "--auto")
    written = migration_files() - before
    for path in written:
        path.unlink()
    assert not written, f"`--auto` wrote {sorted(map(str, written))} (now deleted): tables.py changed alone"
    assert result.returncode == 0 and "No changes detected" in result.stdout, result.stdout + result.stderr


# --- upgrading a database made by the earlier migrations -----------------------------------------


def migrate_as_at_f21d5d4(database_url: str) -> None:
    for app_name, last_id in MIGRATIONS_AT_F21D5D4.items():
        result = run_piccolo(database_url, "migrations", "forwards", app_name, f"--migration_id={last_id}")
        assert result.returncode == 0, result.stdout + result.stderr


def earlier_tables() -> list[type[Table]]:
    """The tables the earlier migrations made, parents before children."""
    finder = Finder()
    return [table for name in MIGRATIONS_AT_F21D5D4 for table in finder.get_app_config(name).table_classes]


async def copy_rows(source_url: str, target_url: str, tables: list[type[Table]]) -> None:
    """Copy what today's code wrote into the test database into the older one: loading it there with
    today's code could touch tables the earlier migrations did not make (change_event)."""
    if source_url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(target_url.removeprefix("sqlite:///"))) as target:
            target.execute("ATTACH DATABASE ? AS source", (source_url.removeprefix("sqlite:///"),))
            for table in tables:
                name = table._meta.tablename
                # The columns the earlier schema has (later migrations may have added some).
                columns = ", ".join(row[1] for row in target.execute(f"PRAGMA main.table_info({name})"))
                target.execute(f"INSERT INTO main.{name} ({columns}) SELECT {columns} FROM source.{name}")
            target.commit()
        return
    source = await asyncpg.connect(postgres_dsn(source_url))
    target = await asyncpg.connect(postgres_dsn(target_url))
    try:
        for table in tables:
            name = table._meta.tablename
            earlier = await target.fetch(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = $1 ORDER BY ordinal_position",
                name,
            )
            columns = ", ".join(row["column_name"] for row in earlier)
            rows = await source.fetch(f"SELECT {columns} FROM {name} ORDER BY 1")
            if rows:
                await target.copy_records_to_table(name, records=rows, columns=list(rows[0].keys()))
            key = table._meta.primary_key
            if isinstance(key, Serial):  # the next id follows the copied ones
                column = key._meta.db_column_name
                await target.execute(
                    f"SELECT setval(pg_get_serial_sequence('{name}', '{column}'), "
                    f"coalesce(max({column}), 0) + 1, false) FROM {name}"
                )
    finally:
        await source.close()
        await target.close()


async def insert_earlier_token(database_url: str, made: datetime) -> None:
    """An API token as the earlier schema held them: no expiry."""
    sql = "INSERT INTO api_token (token_hash, account, created_at) VALUES ({}, 1, {})"
    if database_url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as connection:
            connection.execute(sql.format("?", "?"), ("0" * 64, made.strftime("%Y-%m-%d %H:%M:%S.%f+00:00")))
            connection.commit()
        return
    connection = await asyncpg.connect(postgres_dsn(database_url))
    try:
        await connection.execute(sql.format("$1", "$2"), "0" * 64, made)
    finally:
        await connection.close()


def as_moment(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def all_migration_ids() -> set[tuple[str, str]]:
    manager = BaseMigrationManager()
    return {
        (app.app_name, migration_id)
        for app in manager.get_app_configs()
        for migration_id in manager.get_migration_modules(app.resolved_migrations_folder_path)
    }


async def recorded_migrations(database_url: str) -> set[tuple[str, str]]:
    sql = f"SELECT app_name, name FROM {PICCOLO_TABLE}"
    if database_url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as connection:
            return set(connection.execute(sql).fetchall())
    connection = await asyncpg.connect(postgres_dsn(database_url))
    try:
        return {(row["app_name"], row["name"]) for row in await connection.fetch(sql)}
    finally:
        await connection.close()


async def test_a_database_made_by_the_earlier_migrations_upgrades_in_place(db: None, tmp_path: Path):
    # Beside the starter framework: an account, and its entry in the audit log.
    await register_account("ancienne@example.org", PASSWORD, "Ancienne")
    async with other_database(tmp_path, "upgrade") as database_url:
        migrate_as_at_f21d5d4(database_url)
        assert await recorded_migrations(database_url) == set(MIGRATIONS_AT_F21D5D4.items())
        await copy_rows(DATABASE_URL, database_url, earlier_tables())
        made = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
        await insert_earlier_token(database_url, made)
        earlier_names = {table._meta.tablename for table in earlier_tables()}
        before = {name: n for name, n in (await table_counts(database_url)).items() if name in earlier_names}
        assert before["release_entry"] > 0 and before["audit_log"] == 1

        upgraded = run_cli(database_url, "migrate")
        assert upgraded.returncode == 0, upgraded.stderr
        [(expires_at,)] = await fetch(database_url, "SELECT expires_at FROM api_token")
        # A token made before tokens expired: it expires 90 days after it was made.
        assert as_moment(expires_at) == made + timedelta(days=90)

        after = await table_counts(database_url)
        assert {name: after[name] for name in before} == before
        assert await recorded_migrations(database_url) == all_migration_ids()  # the baselines included
        found = differences(declared_schema(), await live_schema(database_url))
        assert not found, "after the upgrade, tables.py and the database disagree:\n" + "\n".join(found)
        verified = run_cli(database_url, "verify")  # release hashes and the audit log's chain hold
        assert verified.returncode == 0, verified.stderr
        created = run_cli(
            database_url,
            *("user", "create", "--email", "nouvelle@example.org", "--name", "Nouvelle"),
            REFERENTIEL_PASSWORD=PASSWORD,
        )
        assert created.returncode == 0, created.stderr
