"""Piccolo's `--auto` finds nothing to do, and a database made by the earlier migrations upgrades
in place."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.columns import Serial
from piccolo.conf.apps import Finder
from piccolo.table import Table

from proposals.accounts import register_account
from tests.conftest import DATABASE_URL
from tests.schema_shapes import APP_NAMES, PICCOLO_TABLE, ROOT, declared_schema, differences, live_schema
from tests.server.live import PASSWORD, fetch, other_database, run_cli, table_counts
from web.database import postgres_dsn

# The migrations as they stood at commit f21d5d4, before tables.py became the source: what existing
# databases have applied.
MIGRATIONS_AT_F21D5D4 = {
    "indicators": "2026-11-27T00:30:00:000000",
    "proposals": "2026-11-27T01:00:00:000000",
}


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


# Tables made by later migrations of the apps the earlier ones knew.
LATER_TABLES = {
    "adaptation",
    "adaptation_version",
    "adaptation_change",
    *("delphi_process", "delphi_round", "delphi_item", "delphi_rating", "delphi_comment"),
    *("concern", "follow", "notification_event", "notification", "notification_setting", "mail_outbox"),
}


def earlier_tables() -> list[type[Table]]:
    """The tables the earlier migrations made, parents before children."""
    finder = Finder()
    return [
        table
        for name in MIGRATIONS_AT_F21D5D4
        for table in finder.get_app_config(name).table_classes
        if table._meta.tablename not in LATER_TABLES
    ]


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
