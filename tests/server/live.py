"""A real server in a subprocess, and databases beside the test database, for tests that need them."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx

from tests.conftest import DATABASE_URL, ON_POSTGRES, sqlite_file

PASSWORD = "un mot de passe solide"
SLUG = "qualite-mentorat"
AMENDMENT = {
    "kind": "amend",
    "base_version": "1.0.0",
    "indicator": "REC-1",
    "title": "Dire la durée d'engagement en mois",
    "rationale": "Les candidats comprennent mieux **six mois** que « durée minimale ».",
    "content": {"statement": "Les supports de recrutement indiquent la durée minimale en mois."},
}


def run_cli(database_url: str, *args: str, timeout: float = 180, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "REFERENTIEL_DATABASE_URL": database_url, **env}
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def live_server(database_url: str, log: Path, **env: str) -> Iterator[LiveServer]:
    """`referentiel serve` in a subprocess, stopped at the end unless it died on its own."""
    server = LiveServer(database_url, log, env)
    try:
        yield server
    finally:
        server.stop()


class LiveServer:
    def __init__(self, database_url: str, log: Path, env: dict[str, str]) -> None:
        self.log = log
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        environment = {**os.environ, "REFERENTIEL_DATABASE_URL": database_url, **env}
        command = [sys.executable, "-m", "server.cli", "serve", "--port", str(port)]
        with log.open("a") as output:
            self.process = subprocess.Popen(command, env=environment, stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.base}/healthz").text == "ok":
                    break
            except httpx.TransportError:
                pass
            assert self.process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the server did not start within 60 s"
            time.sleep(0.2)
        self.http = httpx.Client(base_url=f"{self.base}/api/v1", timeout=60)

    def call(self, method: str, path: str, who: dict | None = None, **kwargs) -> httpx.Response:
        headers = {"Authorization": who["Authorization"]} if who else {}
        return self.http.request(method, path, headers=headers, **kwargs)

    def token(self, email: str) -> dict:
        response = self.http.post("/tokens", json={"email": email, "password": PASSWORD})
        assert response.status_code == 201, response.text
        body = response.json()
        return {"Authorization": f"Bearer {body['token']}", "id": body["account_id"]}

    def register(self, email: str, name: str) -> dict:
        body = {"email": email, "password": PASSWORD, "display_name": name}
        response = self.http.post("/accounts", json=body)
        assert response.status_code == 201, response.text
        return self.token(email)

    def stop(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def create_steward(database_url: str, email: str = "steward@example.org") -> None:
    made = run_cli(
        database_url,
        *("user", "create", "--email", email, "--name", "Intendante", "--role", "steward"),
        REFERENTIEL_PASSWORD=PASSWORD,
    )
    assert made.returncode == 0, made.stderr


def proposal_in_vote(server: LiveServer, steward: dict) -> int:
    """A working group for REC with two members, an amendment of REC-1, the vote open, two votes for."""
    author = server.register("author@example.org", "Autrice")
    members = [server.register(f"m{i}@example.org", f"Membre {i}") for i in range(2)]
    group = server.call(
        "POST", f"/frameworks/{SLUG}/working-groups", steward, json={"name": "Recrutement", "themes": ["REC"]}
    )
    assert group.status_code == 201, group.text
    for member in members:
        added = server.call("PUT", f"/working-groups/{group.json()['id']}/members/{member['id']}", steward)
        assert added.status_code == 200, added.text
    created = server.call("POST", f"/frameworks/{SLUG}/proposals", author, json=AMENDMENT)
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    opened = server.call("POST", f"/proposals/{pid}/voting", steward)
    assert opened.status_code == 200, opened.text
    for member in members:
        voted = server.call("PUT", f"/proposals/{pid}/vote", member, json={"choice": "for"})
        assert voted.status_code == 200, voted.text
    return pid


# --- databases beside the test database ---------------------------------------------------


def _pg_url(name: str) -> str:
    return DATABASE_URL.rsplit("/", 1)[0] + f"/{name}"


@contextlib.asynccontextmanager
async def other_database(tmp_path: Path, suffix: str, copy_test_database: bool = False) -> AsyncIterator[str]:
    """An empty database (or a copy of the test database as it stands), dropped at the end."""
    if not ON_POSTGRES:
        path = tmp_path / f"{suffix}.db"
        if copy_test_database:
            with sqlite3.connect(sqlite_file()) as source, sqlite3.connect(path) as target:
                source.backup(target)
        yield f"sqlite:///{path}"
        return
    name = DATABASE_URL.rsplit("/", 1)[1] + f"_{suffix}"  # one per test database: parallel runs differ
    admin = await asyncpg.connect(_pg_url("postgres"))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        template = f" TEMPLATE {DATABASE_URL.rsplit('/', 1)[1]}" if copy_test_database else ""
        await admin.execute(f"CREATE DATABASE {name}{template}")
        yield _pg_url(name)
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


async def fetch(database_url: str, sql: str) -> list[tuple]:
    if database_url.startswith("sqlite"):
        path = database_url.removeprefix("sqlite:///")
        with contextlib.closing(sqlite3.connect(path)) as connection:
            return [tuple(row) for row in connection.execute(sql)]
    connection = await asyncpg.connect(database_url)
    try:
        return [tuple(row) for row in await connection.fetch(sql)]
    finally:
        await connection.close()


async def table_counts(database_url: str) -> dict[str, int]:
    if database_url.startswith("sqlite"):
        listing = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        listing = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    names = [row[0] for row in await fetch(database_url, listing)]
    union = " UNION ALL ".join(f"SELECT '{name}', count(*) FROM {name}" for name in names)
    return dict(await fetch(database_url, union))


def as_dict(detail: str | dict) -> dict:
    return json.loads(detail) if isinstance(detail, str) else detail
