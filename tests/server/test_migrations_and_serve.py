"""The schema comes from migrations only, on an empty database; the real server serves it."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.conftest import DATABASE_URL, ON_POSTGRES

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
}


def run_cli(database_url: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REFERENTIEL_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
async def empty_database_url(tmp_path: Path):
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = DATABASE_URL.rsplit("/", 1)[1] + "_empty"  # beside the test database, one per test run
    admin = await asyncpg.connect(DATABASE_URL)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name}")
        await admin.execute(f"CREATE DATABASE {name}")
        yield DATABASE_URL.rsplit("/", 1)[0] + f"/{name}"
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


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
            "SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%refuse%' AND NOT tgisinternal"
        )
        return tables, triggers
    finally:
        await connection.close()


async def test_migrations_create_the_schema_on_an_empty_database(empty_database_url: str):
    first = run_cli(empty_database_url, "migrate")
    assert first.returncode == 0, first.stderr
    tables, triggers = await schema_of(empty_database_url)
    assert tables >= TABLES
    assert triggers == (8 if ON_POSTGRES else 16)  # immutable releases, append-only audit and revisions
    again = run_cli(empty_database_url, "migrate")
    assert again.returncode == 0 and "No migrations need to be run" in again.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_migrates_loads_the_starter_and_serves(empty_database_url: str, workers: int, tmp_path: Path):
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    env = {**os.environ, "REFERENTIEL_DATABASE_URL": empty_database_url}
    command = [sys.executable, "-m", "server.cli", "serve", "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz").text == "ok":
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline, "the server did not start within 60 s"
            time.sleep(0.2)
        home = httpx.get(f"{base}/")
        assert home.status_code == 200 and "REC-1" in home.text
        release = httpx.get(f"{base}/api/v1/frameworks/qualite-mentorat/releases/latest").json()
        assert release["version"] == "1.0.0"
        assert release["content_hash"] == "7602360d3be1def3bd65c1ac06ea2015d087e2fc8256f3033534fd7d25e9fbc4"
        for _ in range(10):  # both workers, if two, answer alike
            assert httpx.get(f"{base}/frameworks/qualite-mentorat/releases").status_code == 200
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
