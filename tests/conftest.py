"""Test set-up. The environment is set before anything of ours is imported (Piccolo reads
it once): SQLite in a temporary file by default, PostgreSQL when
REFERENTIEL_TEST_DATABASE_URL is set. Each test starts from the starter framework.

When the suite runs in several processes (pytest-xdist, `make test`), each has its own database: a
file in its own temporary folder, or on PostgreSQL a database named after the given one and the
process (test_gw0, test_gw1…), made on first use."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="referentiel-tests-"))
_GIVEN_URL = os.environ.get("REFERENTIEL_TEST_DATABASE_URL", "")
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1… when pytest-xdist runs the suite
DATABASE_URL = _GIVEN_URL or f"sqlite:///{_TMP / 'test.db'}"
if _GIVEN_URL and _WORKER:
    DATABASE_URL = f"{_GIVEN_URL}_{_WORKER}"
os.environ["REFERENTIEL_DATABASE_URL"] = DATABASE_URL
os.environ["REFERENTIEL_SECRET_KEY"] = "test-secret-key-not-for-production"
os.environ["REFERENTIEL_BASE_URL"] = "https://testserver"  # the address the in-process client uses
os.environ["REFERENTIEL_PASSWORD_HASHING"] = "fast"
# The mail loop (server/mailer.py) stays asleep in tests: they run its steps themselves, when they mean to.
os.environ["REFERENTIEL_MAIL_INTERVAL"] = "3600"
# Every test's people come from one address (the in-process client's), and some tests write much:
# the limits are the tests' own business (tests/hostile/test_abuse_limits.py, with the defaults
# and with tight ones).
os.environ["REFERENTIEL_RATE_LIMITS"] = ",".join(
    f"{name}=100000/60"
    for name in (
        "register:address",
        "sign-in:address",
        "token:account",
        "proposal:account",
        "proposal:address",
        "revision:account",
        "revision:address",
        "comment:account",
        "comment:address",
        "vote:account",
        "vote:address",
        "programme:account",
        "programme:address",
    )
)
os.environ["PICCOLO_CONF"] = "server.piccolo_conf"

import asyncpg  # noqa: E402
import httpx  # noqa: E402
import pytest  # noqa: E402
from litestar import Litestar  # noqa: E402
from piccolo.apps.migrations.tables import Migration  # noqa: E402
from piccolo.conf.apps import Finder  # noqa: E402
from piccolo.engine import engine_finder  # noqa: E402

from indicators.starter import load_starter_if_empty  # noqa: E402
from server.app import create_app  # noqa: E402
from server.bootstrap import bootstrap  # noqa: E402
from server.settings import Settings  # noqa: E402
from tests.pg_snapshot import Snapshot  # noqa: E402

ON_POSTGRES = DATABASE_URL.startswith("postgres")
TEMPLATE = _TMP / "template.db"


async def create_database(beside_url: str, name: str) -> None:
    """A PostgreSQL database `name` on the server of `beside_url`, unless it is there already."""
    admin = await asyncpg.connect(beside_url)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


if ON_POSTGRES and _WORKER:  # before test modules load Piccolo, which connects at once
    asyncio.run(create_database(_GIVEN_URL, DATABASE_URL.rsplit("/", 1)[1]))


def sqlite_file() -> Path:
    return Settings.from_env().sqlite_path


def app_tables() -> list[str]:
    return [table._meta.tablename for table in Finder().get_table_classes() if table is not Migration]


@pytest.fixture(scope="session")
async def migrated_database() -> AsyncIterator[Snapshot | None]:
    """Migrate an empty database once, load the starter, and keep a copy to start each test from."""
    engine = engine_finder()
    if ON_POSTGRES:
        await engine.run_ddl("DROP SCHEMA public CASCADE")
        await engine.run_ddl("CREATE SCHEMA public")
    await bootstrap(Settings.from_env())
    if ON_POSTGRES:
        yield await Snapshot.take(DATABASE_URL, app_tables())
    else:
        with sqlite3.connect(sqlite_file()) as source, sqlite3.connect(TEMPLATE) as target:
            source.backup(target)
        yield None
    shutil.rmtree(_TMP, ignore_errors=True)


@pytest.fixture
async def db(migrated_database: Snapshot | None) -> None:
    """A database holding the starter framework (release 1.0.0) and nothing else."""
    if migrated_database:
        await migrated_database.restore()
    elif ON_POSTGRES:  # not a superuser (tests/pg_snapshot.py)
        tables = ", ".join(app_tables())
        await engine_finder().run_ddl(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        await load_starter_if_empty()
    else:
        path = sqlite_file()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(TEMPLATE, path)


@pytest.fixture
async def client(db: None) -> AsyncIterator[httpx.AsyncClient]:
    """The app, started as a server starts it, reached in-process on the test's own event loop."""
    async with app_client(create_app()) as client:
        yield client


@contextlib.asynccontextmanager
async def app_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `app` (made with settings of a test's own), started and stopped around it."""
    # The hooks, not app.lifespan(): its task group cannot span a fixture's setup and teardown.
    for hook in app.on_startup:
        await hook()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
            yield client
    finally:
        for hook in app.on_shutdown:
            await hook()
