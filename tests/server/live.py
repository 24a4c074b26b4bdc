"""The real server in a subprocess, for every test that starts `python -m server.cli serve`; and
databases beside the test database, for tests that need another one.

One server, from a sync test (the API conveniences `call`, `token`, `register` use httpx.Client):

    with live_server(url, tmp_path / "server.log", workers=2, PYTHONPATH=faults) as server:
        server.call("GET", "/frameworks")

From an async test or fixture (start-up and stop run in a thread: the event loop stays free):

    async with LiveServer(url, tmp_path / "server.log", workers=2) as server:
        httpx.AsyncClient(base_url=server.base)

Several servers, for instance two on one PostgreSQL database, each with its own log file
(server.log, server-2.log, ...), all stopped at the end:

    async with LiveServers(tmp_path) as servers:
        first = await servers.astart(url, workers=2)
        second = await servers.astart(url, workers=2)

Servers start one after the other: each migrates the database before serving (two at once would
take turns). Each runs in its own process group, from the repository's root, on a free port
of 127.0.0.1 unless told otherwise; it counts as up once /healthz answers "ok" and its log says that
every one of its workers started (a burst must not land on the only worker up yet).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import asyncpg
import httpx

from tests.conftest import DATABASE_URL, ON_POSTGRES, sqlite_file
from tests.constants import AMENDMENT, PASSWORD, SLUG

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0  # seconds for a server to answer /healthz with all its workers started
STOP_TIMEOUT = 20.0  # seconds for a server to stop on SIGTERM before it is killed
LOCKED = "database is locked"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def child_environment(database_url: str, env: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """This process's environment on `database_url`, with `env` on top (None removes a variable)."""
    environment = {**os.environ, "REFERENTIEL_DATABASE_URL": database_url}
    for name, value in (env or {}).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return environment


def run_cli(database_url: str, *args: str, timeout: float = 180, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env=child_environment(database_url, env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# --- the server -----------------------------------------------------------------------------------


class LiveServer:
    """`python -m server.cli serve` on `database_url`, its output appended to `log`.

    `start()` / `stop()` from sync code, `await astart()` / `await astop()` from async code (the same
    code, in a thread), or a `with` / `async with` block. `stop()` may be called more than once, and
    after the server died on its own (it then kills what is left of its process group).
    """

    def __init__(
        self,
        database_url: str,
        log: Path,
        *,
        workers: int = 1,
        host: str = "127.0.0.1",
        port: int | None = None,
        env: Mapping[str, str | None] | None = None,
        wrapper: Sequence[str] = (),
    ) -> None:
        self.database_url = database_url
        self.log_path = log
        self.workers = workers
        self.host = host
        self.port = port or free_port(host)
        self.base = f"http://{host}:{self.port}"
        self.env = dict(env or {})
        self.wrapper = list(wrapper)  # what runs the command, e.g. `ip netns exec NAME` (it execs it)
        self.process: subprocess.Popen | None = None
        self._log_offset = 0  # where this server's output starts in the log (a restart appends)
        self._http: httpx.Client | None = None

    # --- starting and stopping

    def start(self, timeout: float = START_TIMEOUT) -> Self:
        """Starts the server and returns once it is up; stops it and fails if it is not in time."""
        assert self.process is None, "this server was started already: make another LiveServer"
        command = [*self.wrapper, sys.executable, "-m", "server.cli", "serve", "--host", self.host]
        command += ["--port", str(self.port), "--workers", str(self.workers)]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as output:
            self._log_offset = output.seek(0, os.SEEK_END)
            self.process = subprocess.Popen(
                command,
                env=child_environment(self.database_url, self.env),
                cwd=ROOT,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: the workers stop with it
            )
        try:
            self._wait_until_up(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_up(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.base, timeout=2) as client:
            while not self._is_up(client):
                assert self.process.poll() is None, f"the server stopped:\n{self.log()}"
                assert time.monotonic() < deadline, (
                    f"the server did not start within {timeout} s:\n{self.log()}"
                )
                time.sleep(0.1)

    def _is_up(self, client: httpx.Client) -> bool:
        try:
            if client.get("/healthz").text != "ok":
                return False
        except httpx.TransportError:
            return False
        log = self.log()
        return all(f"Started worker-{n}\n" in log for n in range(1, self.workers + 1))

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM to the whole process group, SIGKILL to whatever is left after `timeout`."""
        if self._http is not None:
            self._http.close()
            self._http = None
        if self.process is None:
            return
        if self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=timeout)
        self._signal_group(signal.SIGKILL)  # workers left behind by a server that died or hung
        self.process.wait()

    def _signal_group(self, signal_number: int) -> None:
        with contextlib.suppress(ProcessLookupError):  # the group is gone already
            os.killpg(self.process.pid, signal_number)

    async def astart(self, timeout: float = START_TIMEOUT) -> Self:
        return await asyncio.to_thread(self.start, timeout)

    async def astop(self, timeout: float = STOP_TIMEOUT) -> None:
        await asyncio.to_thread(self.stop, timeout)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await self.astart()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.astop()

    # --- what it wrote

    def log(self) -> str:
        """What this server wrote into its log file (not what an earlier one appended there)."""
        with self.log_path.open("rb") as log:
            log.seek(self._log_offset)
            return log.read().decode(errors="replace")

    def assert_clean_log(self) -> None:
        """No lock error, no server error, no traceback: every refusal was a deliberate one."""
        log = self.log()
        assert LOCKED not in log, log[-5000:]
        assert "Traceback" not in log, log[-5000:]

    # --- the JSON API, from sync code

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(base_url=f"{self.base}/api/v1", timeout=60)
        return self._http

    def call(self, method: str, path: str, who: dict | None = None, **kwargs: Any) -> httpx.Response:
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


def live_server(database_url: str, log: Path, *, workers: int = 1, **env: str) -> LiveServer:
    """A server to use in a `with` block: started on entry, stopped on exit. `env`: extra variables."""
    return LiveServer(database_url, log, workers=workers, env=env)


class LiveServers:
    """Servers started one after the other (`start` or `await astart`, with LiveServer's options),
    their logs in `folder` (server.log, server-2.log, ...), all stopped at the end of the block."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[LiveServer] = []

    def start(self, database_url: str, **options: Any) -> LiveServer:
        number = len(self.started) + 1
        log = self.folder / ("server.log" if number == 1 else f"server-{number}.log")
        server = LiveServer(database_url, log, **options)
        self.started.append(server)
        return server.start()

    async def astart(self, database_url: str, **options: Any) -> LiveServer:
        return await asyncio.to_thread(self.start, database_url, **options)

    def stop(self) -> None:
        for server in reversed(self.started):
            server.stop()

    async def astop(self) -> None:
        await asyncio.to_thread(self.stop)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.astop()


# --- what the server tests set up through it ------------------------------------------------------


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


# --- databases beside the test database -----------------------------------------------------------


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
