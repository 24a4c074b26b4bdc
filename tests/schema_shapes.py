"""The schema as tables.py declares it and as each engine holds it, and how they differ: what
tests/test_schema.py and tests/test_migrations.py compare."""

from __future__ import annotations

import contextlib
import re
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from piccolo.columns import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.conf.apps import Finder
from piccolo.table import Table

from web.database import postgres_dsn

ROOT = Path(__file__).resolve().parents[1]
PICCOLO_TABLE = "migration"  # Piccolo's own record of the migrations that ran
APP_NAMES = Finder().get_app_names()

# The SQL type each Piccolo column class declares, as read back from either engine (see sql_type).
SQL_TYPES: dict[type[Column], str] = {
    Serial: "integer",
    Integer: "integer",
    Text: "text",
    Boolean: "boolean",
    JSON: "json",
    Timestamptz: "timestamptz",
    Date: "date",
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
