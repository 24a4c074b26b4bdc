"""The schema comes from migrations only, on an empty database; the real server serves it."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.conftest import ON_POSTGRES
from tests.constants import PASSWORD, SLUG, STARTER_HASH
from tests.server.live import fetch, live_server, other_database, run_cli

TABLES = {
    *("framework", "theme", "indicator", "indicator_revision", "framework_release", "release_entry"),
    *(
        "account",
        "account_session",
        "api_token",
        "working_group",
        "proposal",
        "comment",
        "ballot",
        "audit_log",
    ),
    *("programme", "programme_member", "assessment", "assessment_answer", "share_link", "improvement_action"),
    "field_evidence",
}


@pytest.fixture
async def empty_database_url(tmp_path: Path):
    async with other_database(tmp_path, "empty") as url:
        yield url


async def schema_of(database_url: str) -> tuple[set[str], int]:
    """Table names and the number of immutability triggers."""
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
            tables = {
                row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            triggers = connection.execute(
                "SELECT count(*) FROM sqlite_master WHERE type='trigger'"
            ).fetchone()[0]
        return tables, triggers
    connection = await asyncpg.connect(database_url)
    try:
        tables = {
            r[0] for r in await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        }
        triggers = await connection.fetchval(
            "SELECT count(*) FROM pg_trigger "
            "WHERE (tgname LIKE '%refuse%' OR tgname LIKE '%frozen%') AND NOT tgisinternal"
        )
        return tables, triggers
    finally:
        await connection.close()


async def test_migrations_create_the_schema_on_an_empty_database(empty_database_url: str):
    first = run_cli(empty_database_url, "migrate")
    assert first.returncode == 0, first.stderr
    tables, triggers = await schema_of(empty_database_url)
    assert tables >= TABLES
    # Immutable releases and adaptations, append-only audit and revisions, frozen submitted assessments.
    assert triggers == (12 if ON_POSTGRES else 25)
    again = run_cli(empty_database_url, "migrate")
    assert again.returncode == 0 and "No migrations need to be run" in again.stderr


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_migrates_loads_the_starter_and_serves(empty_database_url: str, workers: int, tmp_path: Path):
    with live_server(empty_database_url, tmp_path / "server.log", workers=workers) as server:
        base = server.base
        home = httpx.get(f"{base}/")
        assert home.status_code == 200 and "REC-1" in home.text
        release = httpx.get(f"{base}/api/v1/frameworks/{SLUG}/releases/latest").json()
        assert release["version"] == "1.0.0"
        assert release["content_hash"] == STARTER_HASH
        for _ in range(10):  # both workers, if two, answer alike
            assert httpx.get(f"{base}/frameworks/{SLUG}/releases").status_code == 200


async def test_hosts_starting_together_on_an_empty_database_migrate_and_load_the_starter_once(
    empty_database_url: str,
):
    """Each of them migrates, then loads the starter framework if the database is empty (`user
    create` does as `serve` does): they take turns, and the starter is loaded once."""
    created = await asyncio.gather(
        *(
            asyncio.to_thread(
                run_cli,
                empty_database_url,
                *("user", "create", "--email", f"p{n}@example.org", "--name", f"P{n}", "--role", "steward"),
                REFERENTIEL_PASSWORD=PASSWORD,
            )
            for n in range(3)
        )
    )
    assert [done.returncode for done in created] == [0, 0, 0], [done.stderr[-2000:] for done in created]
    assert await fetch(empty_database_url, "SELECT version FROM framework_release") == [("1.0.0",)]
    assert await fetch(empty_database_url, "SELECT count(*) FROM account") == [(3,)]
